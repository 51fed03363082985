import { cookies, headers } from "next/headers";
import { catalogRevalidateSeconds, clientKey, graphqlUrl, persistedOnly } from "./config";
import type { GraphQLErrorInfo } from "./errors";
import type { TypedDocumentString } from "./gql/graphql";
import { buildRequest } from "./request";
import { ACCESS_COOKIE, clientAddress } from "./session";

export interface ShopgraphResult<TResult> {
  data: TResult | null;
  errors: GraphQLErrorInfo[];
}

export interface ShopgraphOptions {
  /** A public catalog read: cached by Next under these tags, sent without the shopper's identity. */
  tags?: string[];
  /** Send this access token instead of the session's (null: none). */
  token?: string | null;
}

/** The storefront's one way to talk to the platform: every page and action goes through it. */
export async function shopgraph<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options: ShopgraphOptions = {},
): Promise<ShopgraphResult<TResult>> {
  const extra: Record<string, string> = {};
  if (clientKey) extra["x-shopgraph-client-key"] = clientKey;
  const publicRead = options.tags !== undefined;
  if (!publicRead) {
    const token = options.token !== undefined ? options.token : await sessionToken();
    if (token) extra.authorization = `Bearer ${token}`;
    const address = await shopperAddress();
    if (address) extra["x-forwarded-for"] = address;
  }
  const request = buildRequest(graphqlUrl, document, variables as Record<string, unknown> | undefined, {
    persistedOnly,
    headers: extra,
  });
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      ...(publicRead
        ? { next: { revalidate: catalogRevalidateSeconds, tags: options.tags } }
        : { cache: "no-store" as const }),
    });
    return parse<TResult>(await response.text(), response.status);
  } catch (error) {
    return unreachable(error);
  }
}

/**
 * A subscription as Server-Sent Events, with the session's token: the gateway's response
 * as it came (an event stream, or a GraphQL refusal with its status). For route handlers
 * that relay the stream to the browser, which holds no token it could send itself.
 */
export async function shopgraphEvents<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  signal: AbortSignal,
): Promise<Response> {
  const extra: Record<string, string> = {};
  if (clientKey) extra["x-shopgraph-client-key"] = clientKey;
  const token = await sessionToken();
  if (token) extra.authorization = `Bearer ${token}`;
  const address = await shopperAddress();
  if (address) extra["x-forwarded-for"] = address;
  const request = buildRequest(graphqlUrl, document, variables as Record<string, unknown> | undefined, {
    persistedOnly,
    headers: extra,
  });
  return fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    cache: "no-store",
    signal,
  });
}

function parse<TResult>(text: string, status: number): ShopgraphResult<TResult> {
  try {
    const body = JSON.parse(text) as { data?: TResult | null; errors?: GraphQLErrorInfo[] };
    return { data: body.data ?? null, errors: body.errors ?? [] };
  } catch {
    return {
      data: null,
      errors: [{ message: `The platform answered ${status} without GraphQL.`, extensions: { code: "BAD_RESPONSE" } }],
    };
  }
}

function unreachable(error: unknown): ShopgraphResult<never> {
  const message = error instanceof Error ? error.message : String(error);
  return { data: null, errors: [{ message, extensions: { code: "UNREACHABLE" } }] };
}

async function sessionToken(): Promise<string | null> {
  try {
    return (await cookies()).get(ACCESS_COOKIE)?.value ?? null;
  } catch {
    return null;
  }
}

async function shopperAddress(): Promise<string | null> {
  try {
    const incoming = await headers();
    return clientAddress(incoming.get("x-forwarded-for"), incoming.get("x-real-ip"));
  } catch {
    return null;
  }
}
