import type { PriceSummary } from "@/components/cart/price-summary";

export interface CheckoutState {
  idempotencyKey: string;
  message?: string;
  fields?: Record<string, string>;
  lineErrors?: Record<string, string>;
  values?: Record<string, string>;
  /** The token of the summary on screen: checkout refuses with PRICE_CHANGED if the price moved since. */
  quoteToken?: string;
  /** The summary the shopper is asked to confirm: the page's, or the new one after PRICE_CHANGED. */
  summary?: PriceSummary;
  /** What changed since the last summary, in the platform's words. */
  changes?: string[];
}

export const addressFields = [
  { name: "firstName", label: "First name", autoComplete: "given-name", required: true },
  { name: "lastName", label: "Last name", autoComplete: "family-name", required: true },
  { name: "streetAddress1", label: "Street address", autoComplete: "address-line1", required: true },
  { name: "streetAddress2", label: "Apartment, suite (optional)", autoComplete: "address-line2", required: false },
  { name: "city", label: "City", autoComplete: "address-level2", required: true },
  { name: "countryArea", label: "State or region (optional)", autoComplete: "address-level1", required: false },
  { name: "postalCode", label: "Postal code", autoComplete: "postal-code", required: true },
  { name: "countryCode", label: "Country code (e.g. GB, US)", autoComplete: "country", required: true },
  { name: "phone", label: "Phone (optional)", autoComplete: "tel", required: false },
] as const;
