"""The products subgraph's root queries: a product, a variant, the categories, and
product listings."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Annotated, Any

import strawberry

from domains.kit.db import read_session
from domains.kit.graphql.pagination import Edge, PageInfo
from domains.kit.graphql.selection import selected_fields
from domains.kit.pagination import page_size
from domains.products.config import BEST_MATCHES
from domains.products.graphql.listing_types import ProductConnection
from domains.products.graphql.promotion_types import Promotion, PromotionConnection
from domains.products.graphql.types import (
    Category,
    Product,
    ProductsInfo,
    ProductVariant,
    decode_newest_cursor,
    newest_cursor,
    visible_product,
    visible_variant,
)
from domains.products.models import ProductStatus
from domains.products.search.criteria import (
    InvalidSearchArgument,
    ProductFilter,
    ProductSearch,
    ProductSort,
)
from domains.products.search.service import listing_page
from domains.products.services.promotions import promotions
from domains.products.services.validation import parse_id


@strawberry.input(description="Narrows a product listing; every field given must hold.")
class ProductFilterInput:
    search: str | None = strawberry.field(
        default=None,
        description="Words to look for in names and descriptions; tolerates typos in names.",
    )
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="This category and every category below it."
    )
    seller_id: strawberry.ID | None = strawberry.field(
        default=None, description="A seller profile id."
    )
    min_price: int | None = strawberry.field(
        default=None,
        description="Lowest variant list price (before promotions) at least this, in minor units.",
    )
    max_price: int | None = strawberry.field(
        default=None,
        description="Lowest variant list price (before promotions) at most this, in minor units.",
    )
    currency: str | None = strawberry.field(default=None, description="ISO 4217, e.g. EUR.")
    in_stock: bool | None = strawberry.field(
        default=None, description="true: orderable now; false: sold out."
    )
    statuses: list[ProductStatus] | None = strawberry.field(
        default=None,
        description="Default [ACTIVE]. Other statuses: staff, or a seller filtering on "
        "their own sellerId.",
    )

    def to_filter(self) -> ProductFilter:
        return ProductFilter(
            search=self.search,
            category_id=None if self.category_id is None else str(self.category_id),
            seller_id=None if self.seller_id is None else str(self.seller_id),
            min_price=self.min_price,
            max_price=self.max_price,
            currency=self.currency,
            in_stock=self.in_stock,
            statuses=None if self.statuses is None else [status.value for status in self.statuses],
        )


def _one_of(field: str, **given: Any) -> None:
    if sum(value is not None for value in given.values()) != 1:
        names = " or ".join(f"`{name}`" for name in given)
        raise InvalidSearchArgument(f"`{field}` needs exactly one of {names}.")


@strawberry.type
class Query:
    @strawberry.field(description="A product by id or slug; drafts only for their seller.")
    async def product(
        self, info: ProductsInfo, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Product | None:
        _one_of("product", id=id, slug=slug)
        loaders = info.context.loaders
        if id is not None:
            model = await loaders.product_by_id.load(parse_id(id))
        else:
            model = await loaders.product_by_slug.load((slug or "").strip().lower())
        return await visible_product(info, model)

    @strawberry.field(description="A variant by id or SKU.")
    async def variant(
        self, info: ProductsInfo, id: strawberry.ID | None = None, sku: str | None = None
    ) -> ProductVariant | None:
        _one_of("variant", id=id, sku=sku)
        loaders = info.context.loaders
        if id is not None:
            model = await loaders.variant_by_id.load(parse_id(id))
        else:
            model = await loaders.variant_by_sku.load((sku or "").strip().upper())
        return await visible_variant(info, model)

    @strawberry.field(description="The top-level categories; each lists its children.")
    async def categories(self, info: ProductsInfo) -> list[Category]:
        tree = await info.context.loaders.category_tree.load("all")
        return [Category.from_model(row) for row in tree if row.parent_id is None]

    @strawberry.field(description="A category by id or slug.")
    async def category(
        self, info: ProductsInfo, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Category | None:
        _one_of("category", id=id, slug=slug)
        if id is not None:
            model = await info.context.loaders.category_by_id.load(parse_id(id))
        else:
            wanted = (slug or "").strip().lower()
            tree = await info.context.loaders.category_tree.load("all")
            model = next((row for row in tree if row.slug == wanted), None)
        return None if model is None else Category.from_model(model)

    @strawberry.field(
        description="Search and browse products: full-text search with typo tolerance, "
        "filters, facets. Results are cached for up to five minutes, and dropped as soon "
        "as a product, price, review or stock level changes. A search in RELEVANCE order "
        f"ranks its first {BEST_MATCHES:,} matches by default (SEARCH_BEST_MATCHES), so "
        "its pages end there; narrow the filter, or sort by price, newest or rating, to "
        "walk every match."
    )
    async def products(
        self,
        info: ProductsInfo,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = 20,
        after: str | None = None,
        filter: ProductFilterInput | None = None,
        sort: ProductSort = ProductSort.RELEVANCE,
    ) -> ProductConnection:
        listing = await listing_page(
            info.context.loaders,
            info.context.viewer,
            None if filter is None else filter.to_filter(),
            sort,
            first=page_size(first),
            after=after,
            along=lambda ids: prefetch_listing(info, ids),
        )
        page, criteria = listing.page, listing.criteria
        edges = [Edge(node=Product.from_model(model), cursor=cursor) for model, cursor in page.rows]
        return ProductConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _total=lambda: _total(info, criteria),
            _criteria=criteria,
        )

    @strawberry.field(
        description="Promotions, newest first: staff see every one, a seller their shop's own."
    )
    async def promotions(
        self,
        info: ProductsInfo,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = 20,
        after: str | None = None,
        active: Annotated[
            bool | None,
            strawberry.argument(
                description="true: only those applying now; false: only those not (yet, or "
                "any more); null: all."
            ),
        ] = None,
    ) -> PromotionConnection:
        size = page_size(first)
        position = decode_newest_cursor(after, kind="Promotion")
        loaders = info.context.loaders
        async with read_session(loaders.read_session_factory) as session:
            rows = await promotions.page(
                session, info.context.viewer, active=active, limit=size + 1, after=position
            )
        edges = [
            Edge(node=Promotion.from_model(row), cursor=newest_cursor(row, kind="Promotion"))
            for row in rows[:size]
        ]
        return PromotionConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > size,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


async def prefetch_listing(info: ProductsInfo, ids: list[uuid.UUID]) -> None:
    """Load what the page's products will be asked for, one batch per loader as before,
    so that their fields answer without an await (domains/kit/graphql/selection.py)."""
    if not ids:
        return
    wanted = selected_fields(info, ("edges", "node"))
    loaders = info.context.loaders
    batches: list[Awaitable[object]] = []
    if "images" in wanted:
        batches.append(loaders.images_by_product_id.load_many(ids))
    if "rating" in wanted:
        batches.append(loaders.rating_by_product_id.load_many(ids))
    if wanted & {"priceRange", "listPriceRange", "promotion"}:
        batches.append(loaders.price_book())
    if batches:
        await asyncio.gather(*batches)


async def _total(info: ProductsInfo, criteria: ProductSearch) -> int:
    return (await info.context.loaders.search_aggregates.load(criteria)).total
