import type { MetadataRoute } from "next";
import { siteUrl } from "@/lib/shopgraph/config";

export default function robots(): MetadataRoute.Robots {
  return {
    rules: { userAgent: "*", allow: "/", disallow: ["/cart", "/checkout", "/account/", "/sign-in", "/register", "/api/"] },
    sitemap: `${siteUrl}/sitemap.xml`,
  };
}
