// What the shopper chose for the cart's price summary: the destination country and a
// shipping method per seller's parcel. Kept in a cookie so that the choice survives
// reloads, line changes and the way to checkout, which sends the same choices. Pure,
// so the parsing rules are unit-tested.

export const PRICING_COOKIE = "sg_pricing";
export const DEFAULT_COUNTRY = "US";
const MAX_CHOICES = 50;
const COUNTRY = /^[A-Z]{2}$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface PricingChoice {
  /** ISO 3166-1 alpha-2; null: not chosen (the default address's, else US). */
  country: string | null;
  /** Shipping method id by seller profile id. */
  shipping: Record<string, string>;
}

export interface PricingAddress {
  countryCode: string;
  countryArea: string;
  postalCode: string;
}

export function normalizeCountry(raw: string | null | undefined): string | null {
  const code = (raw ?? "").trim().toUpperCase();
  return COUNTRY.test(code) ? code : null;
}

/** `DE~seller:method~seller:method`: characters a cookie value may hold unencoded. */
export function serializePricingChoice(choice: PricingChoice): string {
  const pairs = Object.entries(choice.shipping)
    .filter(([seller, method]) => ID.test(seller) && ID.test(method))
    .slice(0, MAX_CHOICES)
    .map(([seller, method]) => `${seller}:${method}`);
  return [choice.country ?? "", ...pairs].join("~");
}

/** The cookie's choice; anything malformed is dropped rather than sent to the platform. */
export function parsePricingChoice(raw: string | null | undefined): PricingChoice {
  const [country, ...pairs] = (raw ?? "").split("~");
  const shipping: Record<string, string> = {};
  for (const pair of pairs.slice(0, MAX_CHOICES)) {
    const [seller, method, extra] = pair.split(":");
    if (seller && method && extra === undefined && ID.test(seller) && ID.test(method)) shipping[seller] = method;
  }
  return { country: normalizeCountry(country), shipping };
}

/**
 * The choice a form posted: `country`, one `ship:<sellerId>` radio group per parcel, and
 * `pricedCountry`, the country of the summary those radios belong to.
 */
export function pricingChoiceFromForm(formData: FormData, previous: PricingChoice): PricingChoice {
  const country = normalizeCountry(stringOf(formData.get("country"))) ?? previous.country;
  const priced = normalizeCountry(stringOf(formData.get("pricedCountry"))) ?? previous.country;
  const shipping: Record<string, string> = {};
  for (const [name, value] of formData.entries()) {
    if (!name.startsWith("ship:") || typeof value !== "string") continue;
    const seller = name.slice("ship:".length);
    if (ID.test(seller) && ID.test(value)) shipping[seller] = value;
  }
  // Another country offers other methods: the cheapest of each, until chosen again.
  return { country, shipping: country === priced ? shipping : {} };
}

/**
 * Where the summary is priced for: the chosen country, else the account's default
 * shipping address, else US. The default address's region and postal code count (a
 * US state's sales tax) only while its country is the one priced.
 */
export function pricingAddress(choice: PricingChoice, defaultAddress: PricingAddress | null): PricingAddress {
  const countryCode = choice.country ?? normalizeCountry(defaultAddress?.countryCode) ?? DEFAULT_COUNTRY;
  if (defaultAddress && normalizeCountry(defaultAddress.countryCode) === countryCode) {
    return { countryCode, countryArea: defaultAddress.countryArea, postalCode: defaultAddress.postalCode };
  }
  return { countryCode, countryArea: "", postalCode: "" };
}

/** The shipping choices of sellers who have a parcel in the cart: the platform refuses others. */
export function shippingChoices(
  choice: PricingChoice,
  sellerIds: Iterable<string>,
): { sellerId: string; methodId: string }[] {
  const present = new Set(sellerIds);
  return Object.entries(choice.shipping)
    .filter(([seller]) => present.has(seller))
    .map(([sellerId, methodId]) => ({ sellerId, methodId }));
}

function stringOf(value: FormDataEntryValue | null): string {
  return typeof value === "string" ? value : "";
}
