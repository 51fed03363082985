import type { Metadata } from "next";
import { readListing } from "@/components/listing/filters";
import { ProductListing } from "@/components/listing/ProductListing";

export async function generateMetadata(props: PageProps<"/search">): Promise<Metadata> {
  const { q } = await props.searchParams;
  return {
    title: typeof q === "string" && q ? `Search: ${q}` : "Search",
    robots: { index: false },
  };
}

export default async function SearchPage(props: PageProps<"/search">) {
  const state = readListing(await props.searchParams);
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">{state.search ? `Results for “${state.search}”` : "All products"}</h1>
      <ProductListing path="/search" state={state} />
    </section>
  );
}
