import type { ProductFilterInput, ProductSort } from "@/lib/shopgraph/gql/graphql";

export type SearchParams = Record<string, string | string[] | undefined>;

const sorts: ReadonlyArray<ProductSort> = ["RELEVANCE", "NEWEST", "PRICE_ASC", "PRICE_DESC", "RATING"];

export const sortLabels: Record<ProductSort, string> = {
  RELEVANCE: "Best match",
  NEWEST: "Newest",
  PRICE_ASC: "Price: low to high",
  PRICE_DESC: "Price: high to low",
  RATING: "Top rated",
};

function one(params: SearchParams, name: string): string | undefined {
  const value = params[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function integer(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number.parseInt(value, 10);
}

export interface ListingState {
  search?: string;
  minPrice?: number;
  maxPrice?: number;
  inStock: boolean;
  sort: ProductSort;
  after?: string;
}

export function readListing(params: SearchParams): ListingState {
  const search = one(params, "q")?.slice(0, 200);
  const requested = one(params, "sort") as ProductSort | undefined;
  const sort = requested && sorts.includes(requested) ? requested : search ? "RELEVANCE" : "NEWEST";
  return {
    search,
    minPrice: integer(one(params, "minPrice")),
    maxPrice: integer(one(params, "maxPrice")),
    inStock: one(params, "inStock") === "1",
    sort,
    after: one(params, "after"),
  };
}

export function toFilter(state: ListingState, categoryId?: string): ProductFilterInput {
  return {
    search: state.search ?? null,
    categoryId: categoryId ?? null,
    minPrice: state.minPrice ?? null,
    maxPrice: state.maxPrice ?? null,
    inStock: state.inStock ? true : null,
  };
}

/** The listing's URL with some parameters changed; a changed filter starts from page one. */
export function listingHref(path: string, state: ListingState, changes: Partial<Record<string, string | null>>): string {
  const params = new URLSearchParams();
  const current: Record<string, string | undefined> = {
    q: state.search,
    minPrice: state.minPrice?.toString(),
    maxPrice: state.maxPrice?.toString(),
    inStock: state.inStock ? "1" : undefined,
    sort: state.sort,
    after: undefined,
  };
  for (const [name, value] of Object.entries({ ...current, ...changes })) {
    if (value !== undefined && value !== null && value !== "") params.set(name, value);
  }
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

export const sortOptions = sorts;
