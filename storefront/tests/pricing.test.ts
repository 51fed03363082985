import { describe, expect, it } from "vitest";
import { deliveryEstimate, summaryRows, withNames, type PriceSummary } from "@/components/cart/price-summary";
import {
  parsePricingChoice,
  pricingAddress,
  pricingChoiceFromForm,
  serializePricingChoice,
  shippingChoices,
} from "@/components/cart/pricing-choice";

const seller = "6f0c1c5e-2f47-5b8e-9a53-0c4d1a4f3b21";
const express = "0a9d3c41-7e4b-5f1a-8c2e-91b0d7e6a512";

describe("the pricing choice cookie", () => {
  it("round-trips the country and a method per seller", () => {
    const choice = { country: "DE", shipping: { [seller]: express } };
    expect(parsePricingChoice(serializePricingChoice(choice))).toEqual(choice);
  });

  it("drops what is malformed rather than send it to the platform", () => {
    expect(parsePricingChoice("germany~a:b:c~;drop:x~ok:fine")).toEqual({ country: null, shipping: { ok: "fine" } });
    expect(parsePricingChoice(undefined)).toEqual({ country: null, shipping: {} });
    expect(parsePricingChoice("de")).toEqual({ country: "DE", shipping: {} });
  });
});

describe("the price summary form", () => {
  function form(fields: Record<string, string>): FormData {
    const data = new FormData();
    for (const [name, value] of Object.entries(fields)) data.append(name, value);
    return data;
  }

  it("keeps the shipping picked for the country priced", () => {
    const posted = form({ country: "US", pricedCountry: "US", [`ship:${seller}`]: express });
    expect(pricingChoiceFromForm(posted, { country: null, shipping: {} })).toEqual({
      country: "US",
      shipping: { [seller]: express },
    });
  });

  it("forgets the shipping when the country changes: another country offers other methods", () => {
    const posted = form({ country: "DE", pricedCountry: "US", [`ship:${seller}`]: express });
    expect(pricingChoiceFromForm(posted, { country: "US", shipping: { [seller]: express } })).toEqual({
      country: "DE",
      shipping: {},
    });
  });
});

describe("where the summary is priced", () => {
  const home = { countryCode: "US", countryArea: "CA", postalCode: "94105" };

  it("uses the chosen country, else the default address, else US", () => {
    expect(pricingAddress({ country: "GB", shipping: {} }, home)).toEqual({ countryCode: "GB", countryArea: "", postalCode: "" });
    expect(pricingAddress({ country: null, shipping: {} }, home)).toEqual(home);
    expect(pricingAddress({ country: null, shipping: {} }, null)).toEqual({ countryCode: "US", countryArea: "", postalCode: "" });
  });

  it("sends choices only for sellers with a parcel in the cart", () => {
    const choice = { country: "US", shipping: { [seller]: express, gone: "method" } };
    expect(shippingChoices(choice, [seller])).toEqual([{ sellerId: seller, methodId: express }]);
  });
});

function pricing(overrides: Partial<PriceSummary>): PriceSummary {
  return {
    currency: "EUR",
    taxIncluded: true,
    subtotal: 10000,
    discount: 3000,
    shipping: 1500,
    tax: 1357,
    total: 8500,
    discounts: [
      { kind: "PROMOTION", name: "Winter sale", code: null, amount: 2000 },
      { kind: "VOUCHER", name: "Ten off", code: "TEN", amount: 1000 },
    ],
    parcels: [],
    lines: [],
    quoteToken: "q1.x.y",
    ...overrides,
  };
}

describe("the summary's rows", () => {
  it("lists each discount by name, and tax inside the prices as incl. VAT", () => {
    const rows = summaryRows(pricing({}));
    expect(rows.map((row) => [row.label, row.amount, row.note])).toEqual([
      ["Subtotal", 10000, undefined],
      ["Winter sale", -2000, undefined],
      ["Ten off (TEN)", -1000, undefined],
      ["Shipping", 1500, undefined],
      ["Tax", 1357, "incl. VAT"],
      ["Total", 8500, undefined],
    ]);
    // Inclusive tax is not added again: subtotal - discounts + shipping.
    const added = rows.filter((row) => row.kind !== "total" && row.kind !== "tax").reduce((sum, row) => sum + row.amount, 0);
    expect(added).toBe(8500);
  });

  it("adds tax that is not in the prices", () => {
    const rows = summaryRows(pricing({ taxIncluded: false, tax: 700, total: 9200, currency: "USD" }));
    expect(rows.find((row) => row.kind === "tax")?.note).toBe("added");
    const added = rows.filter((row) => row.kind !== "total").reduce((sum, row) => sum + row.amount, 0);
    expect(added).toBe(9200);
  });

  it("reads delivery estimates and names sellers by shop", () => {
    expect(deliveryEstimate(1, 2)).toBe("1–2 days");
    expect(deliveryEstimate(3, 3)).toBe("3 days");
    expect(deliveryEstimate(0, 0)).toBe("same day");
    expect(withNames(`Seller ${seller} ships no parcel to JP.`, [{ id: seller, name: "Northwind" }])).toBe(
      "Seller Northwind ships no parcel to JP.",
    );
  });
});
