import { cookies } from "next/headers";
import { messageForRequestErrors } from "@/lib/shopgraph/errors";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { ACCESS_COOKIE, cookieOptions, secureCookies } from "@/lib/shopgraph/session";
import type { Cart } from "./get-cart";
import { CartPricingQuery, PricingDefaultsQuery } from "./operations";
import { withNames, type PriceSummary } from "./price-summary";
import {
  parsePricingChoice,
  PRICING_COOKIE,
  pricingAddress,
  serializePricingChoice,
  shippingChoices,
  type PricingAddress,
  type PricingChoice,
} from "./pricing-choice";

const CHOICE_MAX_AGE = 30 * 24 * 60 * 60;

export async function readPricingChoice(): Promise<PricingChoice> {
  return parsePricingChoice((await cookies()).get(PRICING_COOKIE)?.value);
}

/** For server actions only: where cookies may be written. */
export async function writePricingChoice(choice: PricingChoice): Promise<void> {
  (await cookies()).set(PRICING_COOKIE, serializePricingChoice(choice), cookieOptions(CHOICE_MAX_AGE, secureCookies));
}

/** The address the summary is priced for: the shopper's choice, the account's default address, or US. */
export async function getPricingAddress(choice: PricingChoice): Promise<PricingAddress> {
  if (choice.country === null && (await cookies()).get(ACCESS_COOKIE)) {
    const { data } = await shopgraph(PricingDefaultsQuery, {});
    return pricingAddress(choice, data?.me?.defaultShippingAddress ?? null);
  }
  return pricingAddress(choice, null);
}

export interface CartQuote {
  pricing: PriceSummary | null;
  /** Why there is no quote, in words for the shopper. */
  error: string | null;
}

function sellersOf(cart: Cart): { id: string; name: string }[] {
  const sellers = new Map<string, string>();
  for (const line of cart.lines) {
    const seller = line.variant.product?.seller;
    if (seller) sellers.set(seller.id, seller.shopName);
  }
  return [...sellers].map(([id, name]) => ({ id, name }));
}

/** Sellers and variants by id, for the platform's messages that name them so. */
export function namesIn(cart: Cart): { id: string; name: string }[] {
  const variants = cart.lines.map((line) => {
    const options = line.variant.options.map((option) => option.value).join(" / ");
    const product = line.variant.product?.name ?? line.variant.sku;
    return { id: line.variant.id, name: options ? `${product} (${options})` : product };
  });
  return [...sellersOf(cart), ...variants];
}

/**
 * The cart priced for `address` with the shopper's shipping choices. A choice the
 * destination no longer offers (another country, a method ended) falls back to the
 * cheapest of each parcel rather than to no summary at all.
 */
export async function quoteCart(cart: Cart, address: PricingAddress, choice: PricingChoice): Promise<CartQuote> {
  const sellers = sellersOf(cart);
  const shipping = shippingChoices(choice, sellers.map((seller) => seller.id));
  let result = await shopgraph(CartPricingQuery, { id: cart.id, address, shipping });
  if (!result.data?.cart?.pricing && shipping.length > 0) {
    result = await shopgraph(CartPricingQuery, { id: cart.id, address, shipping: null });
  }
  const pricing = result.data?.cart?.pricing ?? null;
  if (pricing) return { pricing, error: null };
  const refusal = result.errors.find((error) => error.extensions?.code === "BAD_USER_INPUT");
  if (refusal) return { pricing: null, error: withNames(refusal.message, namesIn(cart)) };
  return { pricing: null, error: result.errors.length > 0 ? messageForRequestErrors(result.errors) : null };
}
