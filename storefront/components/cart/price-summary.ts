// The rows of a price summary (cart, checkout), from the platform's quote. Pure, so the
// arithmetic a shopper reads is unit-tested: subtotal at list prices, each discount by
// name, shipping, tax included or added, total.
import type { PriceSummaryFragment } from "@/lib/shopgraph/gql/graphql";

export type PriceSummary = PriceSummaryFragment;

export interface SummaryRow {
  key: string;
  label: string;
  /** Minor units; discounts are negative. */
  amount: number;
  kind: "subtotal" | "discount" | "shipping" | "tax" | "total";
  /** How the amount is read beside its label: "incl. VAT" for tax inside the prices. */
  note?: string;
}

export function summaryRows(pricing: PriceSummary): SummaryRow[] {
  const rows: SummaryRow[] = [{ key: "subtotal", label: "Subtotal", amount: pricing.subtotal, kind: "subtotal" }];
  pricing.discounts.forEach((discount, index) => {
    rows.push({
      key: `discount-${index}`,
      label: discount.code ? `${discount.name} (${discount.code})` : discount.name,
      amount: -discount.amount,
      kind: "discount",
    });
  });
  rows.push({ key: "shipping", label: "Shipping", amount: pricing.shipping, kind: "shipping" });
  rows.push(
    pricing.taxIncluded
      ? { key: "tax", label: "Tax", amount: pricing.tax, kind: "tax", note: "incl. VAT" }
      : { key: "tax", label: "Tax", amount: pricing.tax, kind: "tax", note: "added" },
  );
  rows.push({ key: "total", label: "Total", amount: pricing.total, kind: "total" });
  return rows;
}

/** "1–2 days", "3 days", "same day". */
export function deliveryEstimate(minDays: number, maxDays: number): string {
  if (maxDays <= 0) return "same day";
  if (minDays === maxDays) return `${maxDays} ${maxDays === 1 ? "day" : "days"}`;
  return `${minDays}–${maxDays} days`;
}

/** A platform message naming sellers or variants by id, with the names a shopper knows instead. */
export function withNames(message: string, names: ReadonlyArray<{ id: string; name: string }>): string {
  return names.reduce((text, named) => text.split(named.id).join(named.name), message);
}
