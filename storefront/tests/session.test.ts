import { describe, expect, it } from "vitest";
import { SECRET_HEADER, parseTags, secretMatches } from "@/lib/revalidate/tags";
import { ACCESS_COOKIE, REFRESH_COOKIE, clientAddress, guestCartCookie, sessionCookies } from "@/lib/shopgraph/session";

describe("session cookies", () => {
  const now = new Date("2026-01-01T00:00:00Z");

  it("keeps both tokens in httpOnly cookies, the access one dying before its token", () => {
    const cookies = sessionCookies(
      { accessToken: "a", refreshToken: "r", accessTokenExpiresAt: "2026-01-01T01:00:00Z" },
      now,
      true,
    );
    expect(cookies.map((cookie) => cookie.name)).toEqual([ACCESS_COOKIE, REFRESH_COOKIE]);
    for (const cookie of cookies) {
      expect(cookie.options).toMatchObject({ httpOnly: true, secure: true, sameSite: "lax", path: "/" });
    }
    expect(cookies[0]?.options.maxAge).toBe(3540);
  });

  it("sets nothing without both tokens", () => {
    expect(sessionCookies({ accessToken: null, refreshToken: "r", accessTokenExpiresAt: null }, now, false)).toEqual([]);
  });

  it("keeps a guest cart id httpOnly too", () => {
    expect(guestCartCookie("cart-1", false).options.httpOnly).toBe(true);
  });

  it("forwards the first hop as the shopper's address", () => {
    expect(clientAddress("203.0.113.7, 10.0.0.1", null)).toBe("203.0.113.7");
    expect(clientAddress(null, "198.51.100.2")).toBe("198.51.100.2");
    expect(clientAddress(null, null)).toBeNull();
  });
});

describe("revalidation requests", () => {
  it("reads the secret from the header the platform sends", () => {
    expect(SECRET_HEADER).toBe("x-revalidate-secret");
  });

  it("needs the exact secret", () => {
    expect(secretMatches("s3cret", "s3cret")).toBe(true);
    expect(secretMatches("s3cre", "s3cret")).toBe(false);
    expect(secretMatches("s3cret", undefined)).toBe(false);
  });

  it("accepts product tags and names what is wrong otherwise", () => {
    expect(parseTags({ tags: ["products", "product:0b4c0c1e-1111-4222-8333-944455556666"] })).toEqual({
      tags: ["products", "product:0b4c0c1e-1111-4222-8333-944455556666"],
    });
    expect(parseTags({ tag: "products" })).toHaveProperty("error");
    expect(parseTags({ tags: ["<script>"] })).toHaveProperty("error");
  });
});
