import { type NextRequest, NextResponse } from "next/server";
import { TokenRefreshMutation } from "@/components/account/operations";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { ACCESS_COOKIE, REFRESH_COOKIE, secureCookies, sessionCookies } from "@/lib/shopgraph/session";

// Refresh tokens are single-use, and presenting a spent one signs the account out
// everywhere: concurrent requests from one browser share one refresh.
const inFlight = new Map<string, ReturnType<typeof refresh>>();

async function refresh(refreshToken: string) {
  const { data } = await shopgraph(TokenRefreshMutation, { refreshToken }, { token: null });
  const payload = data?.tokenRefresh;
  return payload && payload.errors.length === 0 ? payload : null;
}

/** The access cookie has expired but the refresh cookie has not: rotate before rendering. */
export async function proxy(request: NextRequest) {
  const refreshToken = request.cookies.get(REFRESH_COOKIE)?.value;
  if (request.cookies.get(ACCESS_COOKIE) || !refreshToken || request.headers.get("next-router-prefetch")) {
    return NextResponse.next();
  }
  let pending = inFlight.get(refreshToken);
  if (!pending) {
    pending = refresh(refreshToken);
    inFlight.set(refreshToken, pending);
    setTimeout(() => inFlight.delete(refreshToken), 30_000);
  }
  const tokens = await pending;
  if (!tokens) {
    request.cookies.delete(REFRESH_COOKIE);
    const response = NextResponse.next({ request });
    response.cookies.delete(REFRESH_COOKIE);
    return response;
  }
  const cookies = sessionCookies(tokens, new Date(), secureCookies);
  for (const cookie of cookies) request.cookies.set(cookie.name, cookie.value);
  const response = NextResponse.next({ request });
  for (const cookie of cookies) response.cookies.set(cookie.name, cookie.value, cookie.options);
  return response;
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico|api/revalidate|robots.txt|sitemap.xml).*)"],
};
