// The shopper's session lives in httpOnly cookies that only the storefront's server sets
// and reads: the access token, the refresh token (rotated on every use), and the id of a
// guest cart (its only key).

export const ACCESS_COOKIE = "sg_access";
export const REFRESH_COOKIE = "sg_refresh";
export const CART_COOKIE = "sg_cart";

const REFRESH_MAX_AGE = 7 * 24 * 60 * 60;
const CART_MAX_AGE = 30 * 24 * 60 * 60;

export interface CookieOptions {
  httpOnly: true;
  secure: boolean;
  sameSite: "lax";
  path: "/";
  maxAge: number;
}

export interface CookieToSet {
  name: string;
  value: string;
  options: CookieOptions;
}

export interface IssuedTokens {
  accessToken: string | null;
  accessTokenExpiresAt: string | null;
  refreshToken: string | null;
}

export function cookieOptions(maxAge: number, secure: boolean): CookieOptions {
  return { httpOnly: true, secure, sameSite: "lax", path: "/", maxAge: Math.max(0, Math.floor(maxAge)) };
}

export const secureCookies = process.env.NODE_ENV === "production" && !process.env.STOREFRONT_URL?.startsWith("http://");

/** The cookies that keep a sign-in: the access cookie dies a minute before the token does. */
export function sessionCookies(tokens: IssuedTokens, now: Date, secure: boolean): CookieToSet[] {
  if (!tokens.accessToken || !tokens.refreshToken) return [];
  const expires = tokens.accessTokenExpiresAt ? Date.parse(tokens.accessTokenExpiresAt) : NaN;
  const accessMaxAge = Number.isFinite(expires) ? (expires - now.getTime()) / 1000 - 60 : 15 * 60;
  return [
    { name: ACCESS_COOKIE, value: tokens.accessToken, options: cookieOptions(accessMaxAge, secure) },
    { name: REFRESH_COOKIE, value: tokens.refreshToken, options: cookieOptions(REFRESH_MAX_AGE, secure) },
  ];
}

export function guestCartCookie(cartId: string, secure: boolean): CookieToSet {
  return { name: CART_COOKIE, value: cartId, options: cookieOptions(CART_MAX_AGE, secure) };
}

/** The shopper's address as the storefront saw it: the first hop of X-Forwarded-For. */
export function clientAddress(forwardedFor: string | null, realIp: string | null): string | null {
  const first = forwardedFor?.split(",")[0]?.trim();
  return first || realIp?.trim() || null;
}
