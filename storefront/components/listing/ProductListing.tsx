import Link from "next/link";
import { FormMessage } from "@/components/forms/fields";
import { formatMoney } from "@/lib/format/money";
import { messageForRequestErrors } from "@/lib/shopgraph/errors";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { listingHref, type ListingState, sortLabels, sortOptions, toFilter } from "./filters";
import { ProductListingQuery } from "./operations";
import { ProductCard } from "./ProductCard";

const PAGE_SIZE = 24;

export async function ProductListing(props: { path: string; state: ListingState; categoryId?: string }) {
  const { path, state } = props;
  const { data, errors } = await shopgraph(
    ProductListingQuery,
    { first: PAGE_SIZE, after: state.after ?? null, filter: toFilter(state, props.categoryId), sort: state.sort },
    { tags: ["products"] },
  );
  const products = data?.products;
  if (!products) return <FormMessage>{messageForRequestErrors(errors)}</FormMessage>;
  const href = (changes: Partial<Record<string, string | null>>) => listingHref(path, state, changes);
  const currency = products.nodes[0]?.priceRange?.start.currency ?? "USD";

  return (
    <div className="grid gap-6 md:grid-cols-[14rem_1fr]">
      <aside aria-label="Filters" className="flex flex-col gap-5 text-sm">
        {products.facets.categories.length > 0 ? (
          <section>
            <h2 className="mb-2 font-semibold">Category</h2>
            <ul className="flex flex-col gap-1">
              {products.facets.categories.map((facet) => (
                <li key={facet.category.id}>
                  <Link
                    href={listingHref(`/category/${facet.category.slug}`, state, {})}
                    className="hover:underline"
                    data-testid="category-facet"
                  >
                    {facet.category.name} <span className="text-stone-500">({facet.count})</span>
                  </Link>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
        <section>
          <h2 className="mb-2 font-semibold">Price</h2>
          <ul className="flex flex-col gap-1">
            {products.facets.priceBands.map((band) => {
              const active = state.minPrice === band.min && state.maxPrice === (band.max ?? undefined);
              return (
                <li key={band.min}>
                  <Link
                    href={href({ minPrice: String(band.min), maxPrice: band.max === null ? null : String(band.max) })}
                    className={active ? "font-semibold underline" : "hover:underline"}
                    data-testid="price-facet"
                  >
                    {band.max === null
                      ? `${formatMoney(band.min, currency)} and up`
                      : `${formatMoney(band.min, currency)} – ${formatMoney(band.max, currency)}`}{" "}
                    <span className="text-stone-500">({band.count})</span>
                  </Link>
                </li>
              );
            })}
            {state.minPrice !== undefined || state.maxPrice !== undefined ? (
              <li>
                <Link href={href({ minPrice: null, maxPrice: null })} className="text-stone-600 underline">
                  Any price
                </Link>
              </li>
            ) : null}
          </ul>
        </section>
        <section>
          <h2 className="mb-2 font-semibold">Availability</h2>
          <Link href={href({ inStock: state.inStock ? null : "1" })} className="hover:underline" data-testid="in-stock-filter">
            {state.inStock ? "☑" : "☐"} In stock only <span className="text-stone-500">({products.facets.inStock})</span>
          </Link>
        </section>
      </aside>
      <div className="flex flex-col gap-4">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p className="text-sm text-stone-600" data-testid="result-count">
            {products.totalCountIsExact
              ? `${products.totalCount} ${products.totalCount === 1 ? "product" : "products"}`
              : `${products.totalCount.toLocaleString("en-US")}+ products`}
          </p>
          <form method="get" action={path} className="flex items-center gap-2 text-sm">
            {state.search ? <input type="hidden" name="q" value={state.search} /> : null}
            {state.minPrice !== undefined ? <input type="hidden" name="minPrice" value={state.minPrice} /> : null}
            {state.maxPrice !== undefined ? <input type="hidden" name="maxPrice" value={state.maxPrice} /> : null}
            {state.inStock ? <input type="hidden" name="inStock" value="1" /> : null}
            <label htmlFor="sort">Sort by</label>
            <select id="sort" name="sort" defaultValue={state.sort} className="rounded border border-stone-300 px-2 py-1">
              {sortOptions.map((sort) => (
                <option key={sort} value={sort}>
                  {sortLabels[sort]}
                </option>
              ))}
            </select>
            <button type="submit" className="rounded border border-stone-300 px-2 py-1">
              Apply
            </button>
          </form>
        </div>
        {errors.length > 0 ? <FormMessage>{messageForRequestErrors(errors)}</FormMessage> : null}
        {products.nodes.length === 0 ? (
          <p>No products match. Try fewer filters or another spelling.</p>
        ) : (
          <ul className="grid grid-cols-2 gap-4 lg:grid-cols-4">
            {products.nodes.map((product, index) => (
              <ProductCard key={product.id} product={product} firstRow={index < 2} />
            ))}
          </ul>
        )}
        <nav aria-label="Pages" className="flex gap-4">
          {state.after ? (
            <Link href={href({})} className="underline">
              First page
            </Link>
          ) : null}
          {products.pageInfo.hasNextPage && products.pageInfo.endCursor ? (
            <Link href={href({ after: products.pageInfo.endCursor })} className="underline" rel="next">
              Next page
            </Link>
          ) : null}
        </nav>
      </div>
    </div>
  );
}
