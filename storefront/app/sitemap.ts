import type { MetadataRoute } from "next";
import { getCategoryTree } from "@/components/layout/catalog";
import { siteUrl } from "@/lib/shopgraph/config";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { graphql } from "@/lib/shopgraph/gql";
import type { SitemapProductsQuery as SitemapProducts, SitemapProductsQueryVariables } from "@/lib/shopgraph/gql/graphql";

const SitemapProductsQuery = graphql(`
  query SitemapProducts($after: String) {
    products(first: 100, after: $after, sort: NEWEST) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        slug
        updatedAt
      }
    }
  }
`);

export const dynamic = "force-dynamic";

export default async function sitemap(): Promise<MetadataRoute.Sitemap> {
  const entries: MetadataRoute.Sitemap = [{ url: `${siteUrl}/`, changeFrequency: "daily" }];
  for (const category of await getCategoryTree()) {
    entries.push({ url: `${siteUrl}/category/${category.slug}` });
    for (const child of category.children) entries.push({ url: `${siteUrl}/category/${child.slug}` });
  }
  let after: string | null = null;
  for (let page = 0; page < 50; page += 1) {
    const result: Awaited<ReturnType<typeof shopgraph<SitemapProducts, SitemapProductsQueryVariables>>> =
      await shopgraph(SitemapProductsQuery, { after }, { tags: ["products"] });
    const data = result.data;
    if (!data) break;
    for (const product of data.products.nodes) {
      entries.push({ url: `${siteUrl}/product/${product.slug}`, lastModified: product.updatedAt });
    }
    if (!data.products.pageInfo.hasNextPage) break;
    after = data.products.pageInfo.endCursor;
  }
  return entries;
}
