export interface CheckoutState {
  idempotencyKey: string;
  message?: string;
  fields?: Record<string, string>;
  lineErrors?: Record<string, string>;
  values?: Record<string, string>;
}

export const addressFields = [
  { name: "firstName", label: "First name", autoComplete: "given-name", required: true },
  { name: "lastName", label: "Last name", autoComplete: "family-name", required: true },
  { name: "streetAddress1", label: "Street address", autoComplete: "address-line1", required: true },
  { name: "streetAddress2", label: "Apartment, suite (optional)", autoComplete: "address-line2", required: false },
  { name: "city", label: "City", autoComplete: "address-level2", required: true },
  { name: "postalCode", label: "Postal code", autoComplete: "postal-code", required: true },
  { name: "countryCode", label: "Country code (e.g. GB, US)", autoComplete: "country", required: true },
  { name: "phone", label: "Phone (optional)", autoComplete: "tel", required: false },
] as const;
