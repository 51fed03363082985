import { cookies } from "next/headers";
import { cache } from "react";
import { shopgraph } from "@/lib/shopgraph/fetch";
import type { CartDetailsFragment } from "@/lib/shopgraph/gql/graphql";
import { ACCESS_COOKIE, CART_COOKIE } from "@/lib/shopgraph/session";
import { CartByIdQuery, ViewerCartQuery } from "./operations";

export type Cart = CartDetailsFragment;

/** The shopper's open cart: the account's when signed in, else the guest cart in the cookie. */
export const getCart = cache(async (): Promise<Cart | null> => {
  const jar = await cookies();
  if (jar.get(ACCESS_COOKIE)) {
    const { data } = await shopgraph(ViewerCartQuery, {});
    if (data?.me) return data.me.cart?.status === "OPEN" ? data.me.cart : null;
  }
  const guestCartId = jar.get(CART_COOKIE)?.value;
  if (!guestCartId) return null;
  const { data } = await shopgraph(CartByIdQuery, { id: guestCartId });
  return data?.cart && data.cart.status === "OPEN" ? data.cart : null;
});

/** Lines asking for more than can be ordered now, by line id. */
export function stockWarnings(cart: Cart): Record<string, string> {
  const warnings: Record<string, string> = {};
  for (const line of cart.lines) {
    const available = line.variant.inventory.quantityAvailable;
    if (!line.variant.inventory.inStock || available <= 0) warnings[line.id] = "Out of stock";
    else if (line.quantity > available) warnings[line.id] = `Only ${available} left`;
  }
  return warnings;
}
