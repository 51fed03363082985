import { describe, expect, it } from "vitest";
import { fieldErrors, isPartial, messageForPayloadError, messageForRequestErrors } from "@/lib/shopgraph/errors";

describe("error messages", () => {
  it("words a known payload code for the shopper", () => {
    expect(messageForPayloadError({ code: "INSUFFICIENT_STOCK", message: "Not enough stock for SG-1." })).toBe("Not enough in stock.");
  });

  it("falls back to the platform's message for an unknown code", () => {
    expect(messageForPayloadError({ code: "SOMETHING_NEW", message: "Try later." })).toBe("Try later.");
  });

  it("keys errors by their input field, the last segment of a dotted path", () => {
    const { fields, form } = fieldErrors([
      { field: "email", code: "DUPLICATE_EMAIL", message: "" },
      { field: "lines.0.quantity", code: "INVALID_QUANTITY", message: "" },
      { field: null, code: "EMPTY_CART", message: "" },
    ]);
    expect(fields.email).toMatch(/already exists/);
    expect(fields.quantity).toMatch(/1 to 999/);
    expect(form).toEqual(["Your cart is empty."]);
  });

  it("maps top-level codes, and knows a partial answer", () => {
    expect(messageForRequestErrors([{ message: "x", extensions: { code: "RATE_LIMITED" } }])).toMatch(/Too many/);
    expect(messageForRequestErrors([{ message: "x" }])).toMatch(/went wrong/);
    expect(isPartial({ product: null }, [{ message: "subgraph down", path: ["product", "reviews"] }])).toBe(true);
    expect(isPartial(null, [{ message: "down" }])).toBe(false);
  });
});
