"""GraphQL types of product listings: a page of products, and the facet counts of the
listing's filter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from domains.kit.graphql.pagination import Edge, PageInfo
from domains.products.config import BEST_MATCHES, COUNT_LIMIT
from domains.products.graphql.types import Category, Product, ProductsInfo
from domains.products.search.criteria import (
    PRICE_BAND_BOUNDS,
    ProductSearch,
)


@strawberry.type(description="Products of one category (and the categories below it).")
class CategoryFacet:
    category: Category
    count: int


@strawberry.type(
    description="Products whose lowest variant list price (before promotions) lies in "
    "[min, max], in minor units."
)
class PriceBandFacet:
    min: int
    max: int | None = strawberry.field(description="Null for the open-ended top band.")
    count: int


@strawberry.type(
    description="Counts of the products matching a listing's filter, among its best "
    f"{BEST_MATCHES:,} matches (a deployment can change the number: SEARCH_BEST_MATCHES): "
    "with search text, the matches the RELEVANCE order ranks; without, the newest. When "
    "fewer match, the counts are of every match, and `complete` is true."
)
class ProductFacets:
    categories: list[CategoryFacet] = strawberry.field(
        description="Each category with matching products in it or below it: most first, "
        "then by name."
    )
    price_bands: list[PriceBandFacet] = strawberry.field(
        description="Bands with at least one matching product, cheapest first."
    )
    in_stock: int = strawberry.field(description="Matching products that can be ordered now.")
    out_of_stock: int
    complete: bool = strawberry.field(
        description="True when the counts cover every matching product; false when more "
        "products match than the best ones counted."
    )


@strawberry.type(description="A page of products with the cursors to fetch the next one.")
class ProductConnection:
    edges: list[Edge[Product]]
    page_info: PageInfo
    _total: strawberry.Private[Callable[[], Awaitable[int]]]
    _criteria: strawberry.Private[ProductSearch]

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[Product]:
        return [edge.node for edge in self.edges]

    @strawberry.field(
        description="How many products match, across all pages, counted up to "
        f"{COUNT_LIMIT:,} by default (SEARCH_COUNT_LIMIT): when more match, this is that limit and "
        'totalCountIsExact is false (show it as "10,000+").'
    )
    async def total_count(self) -> int:
        return await self._total()

    @strawberry.field(
        description="False when more products match than totalCount, which then stops at "
        "the count limit."
    )
    async def total_count_is_exact(self, info: ProductsInfo) -> bool:
        return (await info.context.loaders.search_aggregates.load(self._criteria)).exact

    @strawberry.field(
        description="Counts by category, price band and stock for this filter, over its "
        "best matches (see ProductFacets)."
    )
    async def facets(self, info: ProductsInfo) -> ProductFacets:
        loaders = info.context.loaders
        aggregates = await loaders.search_aggregates.load(self._criteria)
        category_ids = list(aggregates.by_category)
        found = await loaders.category_by_id.load_many(category_ids)
        categories = sorted(
            (model for model in found if model is not None),
            key=lambda model: (-aggregates.by_category[model.id], model.name, str(model.id)),
        )
        bounds = (0, *PRICE_BAND_BOUNDS)
        return ProductFacets(
            categories=[
                CategoryFacet(
                    category=Category.from_model(model), count=aggregates.by_category[model.id]
                )
                for model in categories
            ],
            price_bands=[
                PriceBandFacet(
                    min=bounds[band],
                    max=bounds[band + 1] - 1 if band + 1 < len(bounds) else None,
                    count=count,
                )
                for band, count in sorted(aggregates.by_price_band.items())
            ],
            in_stock=aggregates.in_stock,
            out_of_stock=aggregates.sampled - aggregates.in_stock,
            complete=aggregates.exact and aggregates.sampled == aggregates.total,
        )
