import { revalidateTag } from "next/cache";
import { NextResponse } from "next/server";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { SECRET_HEADER, parseTags, secretMatches } from "@/lib/revalidate/tags";
import { ProductSlugQuery } from "./operations";

// Called by the platform when a product event is published: {"tags": ["product:<id>", "products"]}.
export async function POST(request: Request) {
  if (!secretMatches(request.headers.get(SECRET_HEADER), process.env.STOREFRONT_REVALIDATE_SECRET)) {
    return NextResponse.json({ error: "A valid revalidation secret is required." }, { status: 401 });
  }
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return NextResponse.json({ error: "The body is not JSON." }, { status: 400 });
  }
  const parsed = parseTags(body);
  if ("error" in parsed) return NextResponse.json({ error: parsed.error }, { status: 400 });

  const tags = new Set(parsed.tags);
  // Product pages are fetched by slug, so a product's id also expires its slug's tag.
  for (const tag of parsed.tags) {
    const id = /^product:([0-9a-f-]{36})$/.exec(tag)?.[1];
    if (!id) continue;
    const { data } = await shopgraph(ProductSlugQuery, { id }, { token: null });
    if (data?.product) tags.add(`product:slug:${data.product.slug}`);
  }
  for (const tag of tags) revalidateTag(tag, { expire: 0 });
  return NextResponse.json({ revalidated: [...tags] });
}
