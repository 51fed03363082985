"""GraphQL types of the products subgraph."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import strawberry
from strawberry.types import Info

from domains.kit.errors import InputErrors, quoted
from domains.kit.graphql.context import RequestContext
from domains.kit.graphql.entities import EntityStub
from domains.kit.graphql.errors import payload_errors
from domains.kit.graphql.pagination import Connection, build_connection
from domains.kit.graphql.selection import now_or_later
from domains.kit.pagination import (
    InvalidPaginationArgument,
    decode_cursor,
    encode_cursor,
    page_size,
)
from domains.products import models
from domains.products.currencies import minor_unit_exponent
from domains.products.errors import ProductErrorCode
from domains.products.graphql.loaders import ProductLoaders
from domains.products.graphql.prices import product_prices, variant_price
from domains.products.media import image_url
from domains.products.models import AdjustmentReason, ProductStatus
from domains.products.promotion_price import PromotedPrice
from domains.products.search.criteria import ProductSearch, ProductSort
from domains.products.services.catalog import can_see
from domains.products.services.validation import parse_id

if TYPE_CHECKING:
    from domains.products.graphql.listing_types import ProductConnection
    from domains.products.graphql.promotion_types import Promotion

ProductsInfo: TypeAlias = Info[RequestContext[ProductLoaders], None]
# Promotion's module builds on this one's types, so it is named here lazily.
_PROMOTION_TYPES = strawberry.lazy("domains.products.graphql.promotion_types")
_LISTING_TYPES = strawberry.lazy("domains.products.graphql.listing_types")

# Registered with Strawberry under their GraphQL names; annotations use the Python enums.
strawberry.enum(
    ProductErrorCode,
    name="ProductErrorCode",
    description="Why a products-domain mutation refused its input.",
)
strawberry.enum(
    ProductStatus,
    name="ProductStatus",
    description="DRAFT: seen by its seller and staff only. ACTIVE: listed and for sale. "
    "ARCHIVED: no longer sold, still reachable by id (old orders point at it).",
)
strawberry.enum(
    ProductSort,
    name="ProductSort",
    description="The order of a product listing. PRICE_ASC and PRICE_DESC order by the lowest "
    "variant list price, before promotions.",
)
strawberry.enum(
    AdjustmentReason,
    name="InventoryAdjustmentReason",
    description="Why stock on hand changed, kept in the inventory audit trail.",
)

MAX_REVIEWS_PER_AUTHOR = 100


@strawberry.type(description="A problem with a mutation's input.")
class ProductError:
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase, dotted for nested input such as "
        "`price.amount`), or null when the input as a whole is."
    )
    code: ProductErrorCode
    message: str


def product_errors(error: InputErrors) -> list[ProductError]:
    return payload_errors(error, ProductError, ProductErrorCode)


@strawberry.federation.type(
    shareable=True,
    description="An amount of money in the minor unit of its currency (cents for USD).",
)
class Money:
    amount: int = strawberry.field(description="Minor units: 1999 USD is 19.99.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")

    @strawberry.field(description="The amount in major units as a decimal string: 19.99.")
    def decimal_amount(self) -> str:
        exponent = minor_unit_exponent(self.currency)
        return str(Decimal(self.amount).scaleb(-exponent))


@strawberry.type(description="The lowest and highest price among a product's variants.")
class PriceRange:
    start: Money
    stop: Money


@strawberry.type(description="One choice that tells variants apart, such as Size: M.")
class VariantOption:
    name: str
    value: str


@strawberry.type(description="Stock of one variant.")
class VariantInventory:
    quantity_available: int = strawberry.field(
        description="Units that can still be ordered (on hand minus reserved)."
    )
    _on_hand: strawberry.Private[int]
    _reserved: strawberry.Private[int]
    _seller_check: strawberry.Private[Callable[[], Awaitable[bool]]]

    @strawberry.field(description="Whether at least one unit can be ordered.")
    def in_stock(self) -> bool:
        return self.quantity_available > 0

    @strawberry.field(description="Units in the warehouse. The product's seller and staff only.")
    async def on_hand(self) -> int | None:
        return self._on_hand if await self._seller_check() else None

    @strawberry.field(description="Units held for unpaid orders. The seller and staff only.")
    async def reserved(self) -> int | None:
        return self._reserved if await self._seller_check() else None


async def viewer_seller_ids(info: ProductsInfo) -> frozenset[uuid.UUID]:
    viewer = info.context.viewer
    if viewer.user_id is None:
        return frozenset()
    return await info.context.loaders.seller_ids_by_user_id.load(viewer.user_id)


async def viewer_may_edit(info: ProductsInfo, product_id: uuid.UUID) -> bool:
    viewer = info.context.viewer
    if viewer.user_id is None:
        return False
    if viewer.is_staff:
        return True
    product = await info.context.loaders.product_by_id.load(product_id)
    return product is not None and product.seller_id in await viewer_seller_ids(info)


async def visible_product(info: ProductsInfo, model: models.Product | None) -> Product | None:
    if model is None:
        return None
    seller_ids: frozenset[uuid.UUID] = frozenset()
    if model.status == ProductStatus.DRAFT.value:
        seller_ids = await viewer_seller_ids(info)
    return Product.from_model(model) if can_see(model, info.context.viewer, seller_ids) else None


def _row_fields(model: models.Product | models.Variant | models.Review) -> dict[str, Any]:
    """What a type shows of every row it is made from: its id and timestamps, and the
    model itself for the fields that load more."""
    return {
        "id": strawberry.ID(str(model.id)),
        "created_at": model.created_at,
        "updated_at": model.updated_at,
        "_model": model,
    }


# Stubs of the users subgraph's entities: their key, plus the fields this subgraph adds.
# No description, so the owner's is the one clients see.
@strawberry.federation.type(keys=["id"])
class SellerProfile(EntityStub):
    @strawberry.field(description="The shop's ACTIVE products, newest first.")
    async def products(
        self,
        info: ProductsInfo,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = 20,
        after: str | None = None,
    ) -> Annotated[ProductConnection, _LISTING_TYPES]:
        from domains.products.graphql.listing_types import ProductConnection

        seller_id = parse_id(self.id)
        size = page_size(first)
        position = decode_newest_cursor(after)
        rows = await info.context.loaders.product_page_by_seller.load(
            (seller_id, size + 1, position)
        )
        criteria = ProductSearch(seller_id=seller_id)
        loaders = info.context.loaders

        def count() -> Awaitable[int]:
            return loaders.product_count_by_seller.load(seller_id)

        connection = build_connection(
            rows,
            first=size,
            to_node=Product.from_model,
            cursor_of=newest_cursor,
            has_previous_page=after is not None,
            total_count=count,
        )
        return ProductConnection(
            edges=connection.edges,
            page_info=connection.page_info,
            _total=count,
            _criteria=criteria,
        )


@strawberry.federation.type(keys=["id"])
class User(EntityStub):
    @strawberry.field(description="The account's reviews, newest first.")
    async def reviews(
        self,
        info: ProductsInfo,
        first: Annotated[int, strawberry.argument(description="At most 100.")] = 20,
    ) -> list[Review]:
        if not 0 <= first <= MAX_REVIEWS_PER_AUTHOR:
            raise InvalidPaginationArgument(
                f"`first` must be between 0 and {MAX_REVIEWS_PER_AUTHOR} (got {first})."
            )
        rows = await info.context.loaders.reviews_by_author_id.load(parse_id(self.id))
        return [Review.from_model(row) for row in rows[:first]]


@strawberry.federation.type(keys=["id"], description="A node of the category tree.")
class Category:
    id: strawberry.ID
    name: str
    slug: str = strawberry.field(description="Unique, URL-safe name.")
    position: int = strawberry.field(description="Order among its siblings.")
    _category_id: strawberry.Private[uuid.UUID]
    _parent_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, model: models.Category) -> Category:
        return cls(
            id=strawberry.ID(str(model.id)),
            name=model.name,
            slug=model.slug,
            position=model.position,
            _category_id=model.id,
            _parent_id=model.parent_id,
        )

    @classmethod
    async def resolve_reference(cls, info: ProductsInfo, id: strawberry.ID) -> Category | None:
        model = await info.context.loaders.category_by_id.load(parse_id(id))
        return None if model is None else cls.from_model(model)

    @strawberry.field(description="The category above this one; null for a top-level one.")
    async def parent(self, info: ProductsInfo) -> Category | None:
        if self._parent_id is None:
            return None
        model = await info.context.loaders.category_by_id.load(self._parent_id)
        return None if model is None else Category.from_model(model)

    @strawberry.field(description="The categories directly below this one, in order.")
    async def children(self, info: ProductsInfo) -> list[Category]:
        tree = await info.context.loaders.category_tree.load("all")
        return [Category.from_model(row) for row in tree if row.parent_id == self._category_id]


@strawberry.type(description="Star rating of a product, from its reviews.")
class ProductRating:
    average: float | None = strawberry.field(
        description="Mean of the ratings, two decimals; null until the first review."
    )
    count: int = strawberry.field(description="How many reviews the product has.")


@strawberry.type(description="A picture of a product.")
class ProductImage:
    id: strawberry.ID
    url: str = strawberry.field(description="Served from the media store (MEDIA_BASE_URL).")
    alt_text: str
    position: int = strawberry.field(description="0 is the main image.")

    @classmethod
    def from_model(cls, model: models.ProductImage) -> ProductImage:
        return cls(
            id=strawberry.ID(str(model.id)),
            url=image_url(model.storage_key),
            alt_text=model.alt_text,
            position=model.position,
        )


def _range(low: int, high: int, model: models.Product) -> PriceRange:
    currency = model.currency or ""
    return PriceRange(
        start=Money(amount=low, currency=currency), stop=Money(amount=high, currency=currency)
    )


def _promotion_of(priced: PromotedPrice) -> Promotion | None:
    from domains.products.graphql.promotion_types import Promotion

    return None if priced.promotion is None else Promotion.from_terms(priced.promotion)


def _images(rows: list[models.ProductImage]) -> list[ProductImage]:
    return [ProductImage.from_model(row) for row in rows]


def _rating(model: models.ProductRating | None) -> ProductRating:
    if model is None or model.review_count == 0:
        return ProductRating(average=None, count=0)
    return ProductRating(average=float(model.average), count=model.review_count)


@strawberry.federation.type(keys=["id"], description="Something a seller offers.")
class Product:
    id: strawberry.ID
    name: str
    slug: str = strawberry.field(description="Unique, URL-safe name.")
    description: str
    status: ProductStatus
    created_at: datetime
    updated_at: datetime
    _model: strawberry.Private[models.Product]

    @classmethod
    def from_model(cls, model: models.Product) -> Product:
        return cls(
            **_row_fields(model),
            name=model.name,
            slug=model.slug,
            description=model.description,
            status=ProductStatus(model.status),
        )

    @classmethod
    async def resolve_reference(cls, info: ProductsInfo, id: strawberry.ID) -> Product | None:
        model = await info.context.loaders.product_by_id.load(parse_id(id))
        return await visible_product(info, model)

    @strawberry.field(description="The shop selling it (resolved by the users subgraph).")
    def seller(self) -> SellerProfile:
        return SellerProfile(id=strawberry.ID(str(self._model.seller_id)))

    @strawberry.field
    async def category(self, info: ProductsInfo) -> Category | None:
        if self._model.category_id is None:
            return None
        model = await info.context.loaders.category_by_id.load(self._model.category_id)
        return None if model is None else Category.from_model(model)

    @strawberry.field(description="Its variants, in the seller's order.")
    async def variants(self, info: ProductsInfo) -> list[ProductVariant]:
        rows = await info.context.loaders.variants_by_product_id.load(self._model.id)
        return [ProductVariant.from_model(row) for row in rows]

    # Without an await when a listing prefetched them (see queries.prefetch_listing).
    @strawberry.field(
        description="Its images; the first is the main one.", graphql_type=list[ProductImage]
    )
    def images(self, info: ProductsInfo) -> list[ProductImage] | Awaitable[list[ProductImage]]:
        return now_or_later(info.context.loaders.images_by_product_id.load(self._model.id), _images)

    @strawberry.field(graphql_type=ProductRating)
    def rating(self, info: ProductsInfo) -> ProductRating | Awaitable[ProductRating]:
        return now_or_later(info.context.loaders.rating_by_product_id.load(self._model.id), _rating)

    @strawberry.field(
        description="Lowest and highest price its variants sell for now, promotions applied "
        "(compare listPriceRange); null without variants.",
        graphql_type=PriceRange | None,
    )
    def price_range(self, info: ProductsInfo) -> PriceRange | Awaitable[PriceRange] | None:
        return product_prices(
            info, self._model, lambda low, high: _range(low.price, high.price, self._model)
        )

    @strawberry.field(
        description="Lowest and highest variant price before any promotion; null without variants.",
        graphql_type=PriceRange | None,
    )
    def list_price_range(self, info: ProductsInfo) -> PriceRange | Awaitable[PriceRange] | None:
        return product_prices(
            info,
            self._model,
            lambda low, high: _range(low.list_price, high.list_price, self._model),
        )

    @strawberry.field(
        description="The live promotion giving its lowest price (priceRange.start); null when "
        "it sells at list prices.",
        graphql_type=Annotated["Promotion", _PROMOTION_TYPES] | None,
    )
    def promotion(self, info: ProductsInfo) -> Any:
        return product_prices(info, self._model, lambda low, _: _promotion_of(low))

    @strawberry.field(description="Whether any variant can be ordered now.")
    def in_stock(self) -> bool:
        return self._model.in_stock

    @strawberry.field(description="Reviews, newest first.")
    async def reviews(
        self,
        info: ProductsInfo,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = 10,
        after: str | None = None,
    ) -> ReviewConnection:
        size = page_size(first)
        position = decode_newest_cursor(after, kind="Review")
        rows = await info.context.loaders.review_page_by_product.load(
            (self._model.id, size + 1, position)
        )
        rating = await info.context.loaders.rating_by_product_id.load(self._model.id)
        return build_connection(
            rows,
            first=size,
            to_node=Review.from_model,
            cursor_of=lambda row: newest_cursor(row, kind="Review"),
            has_previous_page=after is not None,
            total_count=0 if rating is None else rating.review_count,
        )


@strawberry.federation.type(
    keys=["id", "sku"], description="One purchasable version of a product (a size, a colour)."
)
class ProductVariant:
    id: strawberry.ID
    sku: str = strawberry.field(description="Stock keeping unit: unique, upper case.")
    options: list[VariantOption]
    compare_at_price: Money | None = strawberry.field(
        description="What the seller says it used to cost, shown struck through; always above "
        "the list price."
    )
    weight_grams: int | None
    created_at: datetime
    updated_at: datetime
    _model: strawberry.Private[models.Variant]

    @classmethod
    def from_model(cls, model: models.Variant) -> ProductVariant:
        return cls(
            **_row_fields(model),
            sku=model.sku,
            options=[VariantOption(name=o["name"], value=o["value"]) for o in model.options],
            compare_at_price=(
                None
                if model.compare_at_amount is None
                else Money(amount=model.compare_at_amount, currency=model.currency)
            ),
            weight_grams=model.weight_grams,
        )

    @classmethod
    async def resolve_reference(
        cls, info: ProductsInfo, id: strawberry.ID | None = None, sku: str | None = None
    ) -> ProductVariant | None:
        loaders = info.context.loaders
        if id is not None:
            model = await loaders.variant_by_id.load(parse_id(id))
        elif sku is not None:
            model = await loaders.variant_by_sku.load(sku.strip().upper())
        else:
            return None
        return await visible_variant(info, model)

    @strawberry.field
    async def product(self, info: ProductsInfo) -> Product | None:
        model = await info.context.loaders.product_by_id.load(self._model.product_id)
        return await visible_product(info, model)

    @strawberry.field(
        description="What one unit sells for now: the list price, or less under the best live "
        "promotion (promotions do not stack). What a cart is charged."
    )
    async def price(self, info: ProductsInfo) -> Money:
        return Money(
            amount=(await variant_price(info, self._model)).price, currency=self._model.currency
        )

    @strawberry.field(description="The seller's price of one unit, before any promotion.")
    def list_price(self) -> Money:
        return Money(amount=self._model.price_amount, currency=self._model.currency)

    @strawberry.field(
        description="The live promotion giving `price`; null when it sells at its list price."
    )
    async def promotion(self, info: ProductsInfo) -> Annotated[Promotion, _PROMOTION_TYPES] | None:
        return _promotion_of(await variant_price(info, self._model))

    @strawberry.field(description="listPrice minus price, per unit; null without a promotion.")
    async def discount(self, info: ProductsInfo) -> Money | None:
        priced = await variant_price(info, self._model)
        if priced.promotion is None:
            return None
        return Money(amount=priced.discount, currency=self._model.currency)

    @strawberry.field
    async def inventory(self, info: ProductsInfo) -> VariantInventory:
        row = await info.context.loaders.inventory_by_variant_id.load(self._model.id)
        product_id = self._model.product_id

        async def seller_check() -> bool:
            return await viewer_may_edit(info, product_id)

        return VariantInventory(
            quantity_available=0 if row is None else max(row.available, 0),
            _on_hand=0 if row is None else row.on_hand,
            _reserved=0 if row is None else row.reserved,
            _seller_check=seller_check,
        )


async def visible_variant(
    info: ProductsInfo, model: models.Variant | None
) -> ProductVariant | None:
    if model is None:
        return None
    product = await info.context.loaders.product_by_id.load(model.product_id)
    if await visible_product(info, product) is None:
        return None
    return ProductVariant.from_model(model)


@strawberry.federation.type(keys=["id"], description="A customer's verdict on a product.")
class Review:
    id: strawberry.ID
    rating: int = strawberry.field(description="1 to 5 stars.")
    title: str
    body: str
    verified_purchase: bool = strawberry.field(
        description="The author bought the product here (set from orders, not by the author)."
    )
    created_at: datetime
    updated_at: datetime
    _model: strawberry.Private[models.Review]

    @classmethod
    def from_model(cls, model: models.Review) -> Review:
        return cls(
            **_row_fields(model),
            rating=model.rating,
            title=model.title,
            body=model.body,
            verified_purchase=model.verified_purchase,
        )

    @classmethod
    async def resolve_reference(cls, info: ProductsInfo, id: strawberry.ID) -> Review | None:
        model = await info.context.loaders.review_by_id.load(parse_id(id))
        return None if model is None else cls.from_model(model)

    @strawberry.field(description="The reviewed product; null if it is no longer visible.")
    async def product(self, info: ProductsInfo) -> Product | None:
        model = await info.context.loaders.product_by_id.load(self._model.product_id)
        return await visible_product(info, model)

    @strawberry.field(description="Who wrote it (resolved by the users subgraph).")
    def author(self) -> User:
        return User(id=strawberry.ID(str(self._model.author_id)))


ReviewConnection = Connection[Review]


def newest_cursor(
    row: models.Product | models.Review | models.Promotion, kind: str = "Product"
) -> str:
    return encode_cursor(f"{kind}:NEWEST", [row.created_at.isoformat(), str(row.id)])


def decode_newest_cursor(
    after: str | None, kind: str = "Product"
) -> tuple[datetime, uuid.UUID] | None:
    if after is None:
        return None
    created_at, row_id = decode_cursor(f"{kind}:NEWEST", after, arity=2)
    try:
        return datetime.fromisoformat(str(created_at)), uuid.UUID(str(row_id))
    except ValueError:
        raise InvalidPaginationArgument(f"The cursor {quoted(after)} is malformed.") from None
