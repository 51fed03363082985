import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ProductListingQuery } from "@/components/listing/operations";
import { CartLinesAddMutation } from "@/components/cart/operations";
import { OrderStatusSubscription } from "@/components/orders/operations";
import { buildRequest, documentId, operationKind } from "@/lib/shopgraph/request";

const endpoint = "http://gateway.test/graphql";

describe("persisted document ids", () => {
  it("is the sha256 of the body the manifest gives the gateway", () => {
    const manifest = JSON.parse(readFileSync(new URL("../../schema/operations/storefront.json", import.meta.url), "utf8")) as {
      operations: { id: string; name: string; body: string }[];
    };
    for (const operation of manifest.operations) {
      expect(createHash("sha256").update(operation.body).digest("hex")).toBe(operation.id);
    }
    const listing = manifest.operations.find((operation) => operation.name === "ProductListing");
    expect(documentId(ProductListingQuery)).toBe(`sha256:${listing?.id}`);
  });

  it("refuses a document without a hash", () => {
    expect(() => documentId({ toString: () => "query A { me { id } }" })).toThrow(/codegen/);
  });
});

describe("requests", () => {
  it("sends a persisted query as a GET naming only its documentId", () => {
    const request = buildRequest(endpoint, ProductListingQuery, { first: 2 }, { persistedOnly: true });
    expect(request.method).toBe("GET");
    const url = new URL(request.url);
    expect(url.searchParams.get("documentId")).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(url.searchParams.get("query")).toBeNull();
    expect(JSON.parse(url.searchParams.get("variables") ?? "{}")).toEqual({ first: 2 });
    expect(request.headers["apollo-require-preflight"]).toBeUndefined();
  });

  it("posts a mutation as JSON with its documentId and no text", () => {
    const request = buildRequest(endpoint, CartLinesAddMutation, { cartId: "c", lines: [] }, {
      persistedOnly: true,
      headers: { authorization: "Bearer t" },
    });
    expect(request.method).toBe("POST");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers.authorization).toBe("Bearer t");
    const body = JSON.parse(request.body ?? "{}") as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["documentId", "variables"]);
  });

  it("sends the text in development, preflighted when it is a GET", () => {
    const request = buildRequest(endpoint, ProductListingQuery, {}, { persistedOnly: false });
    expect(new URL(request.url).searchParams.get("query")).toContain("query ProductListing");
    expect(request.headers["apollo-require-preflight"]).toBe("true");
  });

  it("posts a subscription asking for Server-Sent Events", () => {
    const request = buildRequest(endpoint, OrderStatusSubscription, { id: "o" }, { persistedOnly: true });
    expect(request.method).toBe("POST");
    expect(request.headers.accept).toBe("text/event-stream");
    expect(request.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(request.body ?? "{}") as Record<string, unknown>;
    expect(body).toEqual({ documentId: documentId(OrderStatusSubscription), variables: { id: "o" } });
  });

  it("tells queries, mutations and subscriptions apart", () => {
    expect(operationKind(ProductListingQuery)).toBe("query");
    expect(operationKind(CartLinesAddMutation)).toBe("mutation");
    expect(operationKind(OrderStatusSubscription)).toBe("subscription");
  });
});
