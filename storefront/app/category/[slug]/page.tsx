import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { cache } from "react";
import { readListing } from "@/components/listing/filters";
import { ProductListing } from "@/components/listing/ProductListing";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { CategoryPageQuery } from "./operations";

const getCategory = cache(async (slug: string) => {
  const { data } = await shopgraph(CategoryPageQuery, { slug }, { tags: ["categories", `category:${slug}`] });
  return data?.category ?? null;
});

export async function generateMetadata(props: PageProps<"/category/[slug]">): Promise<Metadata> {
  const { slug } = await props.params;
  const category = await getCategory(slug);
  if (!category) return { title: "Not found" };
  return {
    title: category.name,
    description: `${category.name} from independent shops on Shopgraph.`,
    alternates: { canonical: `/category/${category.slug}` },
  };
}

export default async function CategoryPage(props: PageProps<"/category/[slug]">) {
  const { slug } = await props.params;
  const category = await getCategory(slug);
  if (!category) notFound();
  const state = readListing(await props.searchParams);
  return (
    <section className="flex flex-col gap-4">
      <nav aria-label="Breadcrumb" className="text-sm text-stone-600">
        <Link href="/">Home</Link>
        {category.parent ? (
          <>
            {" / "}
            <Link href={`/category/${category.parent.slug}`}>{category.parent.name}</Link>
          </>
        ) : null}
      </nav>
      <h1 className="text-2xl font-semibold">{category.name}</h1>
      {category.children.length > 0 ? (
        <ul className="flex flex-wrap gap-2 text-sm">
          {category.children.map((child) => (
            <li key={child.id}>
              <Link href={`/category/${child.slug}`} className="rounded-full border border-stone-300 px-3 py-1">
                {child.name}
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
      <ProductListing path={`/category/${category.slug}`} state={state} categoryId={category.id} />
    </section>
  );
}
