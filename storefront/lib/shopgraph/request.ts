// Turns a typed document and its variables into the HTTP request the gateway expects.
// Pure, so the rules (GET for queries, POST for mutations and subscriptions, ids only
// when persisted) are unit-tested.

export interface PersistedDocument {
  toString(): string;
  __meta__?: Record<string, unknown> | undefined;
}

export type OperationKind = "query" | "mutation" | "subscription";

export interface GatewayRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export function operationKind(document: PersistedDocument): OperationKind {
  const match = /^\s*(query|mutation|subscription)\b/.exec(document.toString());
  if (match?.[1] === "mutation") return "mutation";
  if (match?.[1] === "subscription") return "subscription";
  return "query";
}

export function documentId(document: PersistedDocument): string {
  const hash = document.__meta__?.hash;
  if (typeof hash !== "string" || !/^sha256:[0-9a-f]{64}$/.test(hash)) {
    throw new Error("This document has no sha256 documentId: run `npm run codegen`.");
  }
  return hash;
}

export function buildRequest(
  endpoint: string,
  document: PersistedDocument,
  variables: Record<string, unknown> | undefined,
  options: { persistedOnly: boolean; headers?: Record<string, string> },
): GatewayRequest {
  const headers: Record<string, string> = {
    accept: "application/graphql-response+json, application/json",
    ...options.headers,
  };
  const params: Record<string, unknown> = options.persistedOnly
    ? { documentId: documentId(document) }
    : { query: document.toString() };
  if (variables && Object.keys(variables).length > 0) params.variables = variables;

  const kind = operationKind(document);
  if (kind === "subscription") {
    // GraphQL over Server-Sent Events, one subscription per request (the gateway's
    // "distinct connections" mode): an `event: next` per result, then `event: complete`.
    headers.accept = "text/event-stream";
  }
  if (kind !== "query") {
    headers["content-type"] = "application/json";
    return { method: "POST", url: endpoint, headers, body: JSON.stringify(params) };
  }
  // Queries go as GET so that a CDN in front of the gateway can cache public reads.
  const url = new URL(endpoint);
  for (const [name, value] of Object.entries(params)) {
    url.searchParams.set(name, typeof value === "string" ? value : JSON.stringify(value));
  }
  // A GET carrying its document text must show it is not a simple cross-site request.
  if (!options.persistedOnly) headers["apollo-require-preflight"] = "true";
  return { method: "GET", url: url.toString(), headers };
}
