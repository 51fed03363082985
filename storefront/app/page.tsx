import { readListing } from "@/components/listing/filters";
import { ProductListing } from "@/components/listing/ProductListing";

export default async function HomePage(props: PageProps<"/">) {
  const state = readListing(await props.searchParams);
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">New in</h1>
      <ProductListing path="/" state={state} />
    </section>
  );
}
