import { timingSafeEqual } from "node:crypto";

/** The header the platform's products domain sends its shared secret in. */
export const SECRET_HEADER = "x-revalidate-secret";

const TAG = /^[a-z]+(:[A-Za-z0-9._-]+){0,2}$/;

/** Whether the header carries the shared secret (compared in constant time). */
export function secretMatches(sent: string | null, expected: string | undefined): boolean {
  if (!expected || !sent) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The tags of a revalidation request, or an error naming what is wrong with the body. */
export function parseTags(body: unknown): { tags: string[] } | { error: string } {
  if (typeof body !== "object" || body === null || !Array.isArray((body as { tags?: unknown }).tags)) {
    return { error: 'The body must be {"tags": ["product:<id>", "products"]}.' };
  }
  const tags = (body as { tags: unknown[] }).tags;
  if (tags.length === 0 || tags.length > 100) return { error: "Send from 1 to 100 tags." };
  const invalid = tags.find((tag) => typeof tag !== "string" || !TAG.test(tag));
  if (invalid !== undefined) return { error: `Not a cache tag: ${JSON.stringify(invalid)}.` };
  return { tags: tags as string[] };
}
