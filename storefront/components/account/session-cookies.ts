import { cookies } from "next/headers";
import { shopgraph } from "@/lib/shopgraph/fetch";
import {
  ACCESS_COOKIE,
  CART_COOKIE,
  type IssuedTokens,
  REFRESH_COOKIE,
  secureCookies,
  sessionCookies,
} from "@/lib/shopgraph/session";
import { CartMergeMutation } from "@/components/cart/operations";

/** Keep a sign-in, then fold the guest cart into the account's (cartMerge). */
export async function startSession(tokens: IssuedTokens): Promise<void> {
  const jar = await cookies();
  for (const cookie of sessionCookies(tokens, new Date(), secureCookies)) {
    jar.set(cookie.name, cookie.value, cookie.options);
  }
  const guestCartId = jar.get(CART_COOKIE)?.value;
  if (guestCartId && tokens.accessToken) {
    await shopgraph(CartMergeMutation, { guestCartId }, { token: tokens.accessToken });
    jar.delete(CART_COOKIE);
  }
}

export async function endSession(): Promise<string | null> {
  const jar = await cookies();
  const refreshToken = jar.get(REFRESH_COOKIE)?.value ?? null;
  jar.delete(ACCESS_COOKIE);
  jar.delete(REFRESH_COOKIE);
  return refreshToken;
}
