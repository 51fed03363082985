"""One dataloader per relationship, read through the Redis entity cache.

A batch is one MGET; the keys it misses are one SQL statement, whose rows are written
back with REDIS_TTL. With a warm cache a request runs no SQL for the entities at all,
and with Redis down every batch is still exactly one statement.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Sequence
from datetime import datetime, timedelta
from functools import cached_property
from operator import attrgetter
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domains.kit.cache import Codec, EntityCache, ListCodec, ModelCodec, OptionalCodec
from domains.kit.db import read_session
from domains.kit.graphql.loaders import (
    cached_loader,
    fetch_many_per_key,
    fetch_one_per_key,
    loader,
    many_per_key,
)
from domains.kit.resources import Resources
from domains.products import cache as keys
from domains.products.models import (
    Category,
    Inventory,
    Product,
    ProductImage,
    ProductRating,
    Review,
    Variant,
)
from domains.products.promotion_price import PriceBook, PromotionTerms
from domains.products.search.criteria import ProductSearch, SearchAggregates
from domains.products.search.service import listing_aggregates, search_generation
from domains.products.services.catalog import catalog
from domains.products.services.images import images
from domains.products.services.pages import PageKey
from domains.products.services.promoted_prices import open_promotions
from domains.products.services.reviews import reviews
from domains.products.services.sellers import sellers
from domains.products.services.stock import inventory
from domains.products.services.validation import now_utc
from domains.products.services.variants import variants

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")

# User.reviews serves up to this many of an author's newest reviews from one cache entry.
AUTHOR_REVIEWS_CACHED = 100

# Built once: a codec's layout is computed per model, not per request.
PRODUCT = ModelCodec(Product)
VARIANT = ModelCodec(Variant)
CATEGORY = ModelCodec(Category)
REVIEW = ModelCodec(Review)
OPTIONAL_PRODUCT = OptionalCodec(PRODUCT)
OPTIONAL_VARIANT = OptionalCodec(VARIANT)
OPTIONAL_CATEGORY = OptionalCodec(CATEGORY)
OPTIONAL_REVIEW = OptionalCodec(REVIEW)
OPTIONAL_INVENTORY = OptionalCodec(ModelCodec(Inventory))
OPTIONAL_RATING = OptionalCodec(ModelCodec(ProductRating))
VARIANTS = ListCodec(VARIANT)
CATEGORIES = ListCodec(CATEGORY)
REVIEWS = ListCodec(REVIEW)
IMAGES = ListCodec(ModelCodec(ProductImage))

# The open promotions stay correct however long they are cached (which are live is
# decided at each read, and every promotion write deletes them); the short expiry only
# bounds a refill racing a write's eviction with what a lagging replica still said.
PROMOTIONS_TTL = timedelta(minutes=1)


class _PromotionsCodec:
    def dump(self, value: list[PromotionTerms]) -> list[dict[str, Any]]:
        return [terms.to_json() for terms in value]

    def load(self, data: Any) -> list[PromotionTerms]:
        return [PromotionTerms.from_json(item) for item in data]


_PROMOTIONS = _PromotionsCodec()


def _request_instant() -> datetime:
    """The instant a request prices at (a module-level name, so tests can move time)."""
    return now_utc()


class _SellerIdsCodec:
    def dump(self, value: frozenset[uuid.UUID]) -> list[str]:
        return sorted(str(item) for item in value)

    def load(self, data: Any) -> frozenset[uuid.UUID]:
        return frozenset(uuid.UUID(item) for item in data)


class ProductLoaders:
    """The products subgraph's loaders for one request, each built on its first use: a
    fetch pays only for the loaders its fields read (a listing uses three of eighteen)."""

    def __init__(self, resources: Resources) -> None:
        self.read_session_factory: async_sessionmaker[AsyncSession] = resources.read_session_factory
        self.cache = EntityCache.from_settings(resources.redis, resources.settings)
        # The instant this request prices at: one for all its fields.
        self.now: datetime = _request_instant()
        self._generation: asyncio.Task[str] | None = None
        self._price_book: asyncio.Task[PriceBook] | None = None

    def _cached(
        self,
        cache_key: Callable[[KeyT], str],
        codec: Codec[ValueT],
        fetch: Callable[[AsyncSession, list[KeyT]], Coroutine[Any, Any, list[ValueT]]],
    ) -> DataLoader[KeyT, ValueT]:
        return cached_loader(self.cache, self.read_session_factory, cache_key, codec, fetch)

    async def _in_read_session(
        self,
        fetch: Callable[[AsyncSession, list[KeyT]], Awaitable[list[ValueT]]],
        batch: list[KeyT],
    ) -> list[ValueT]:
        async with read_session(self.read_session_factory) as session:
            return await fetch(session, batch)

    @cached_property
    def product_by_id(self) -> DataLoader[uuid.UUID, Product | None]:
        return self._cached(
            keys.product, OPTIONAL_PRODUCT, fetch_one_per_key(catalog.get_by_ids, _id)
        )

    @cached_property
    def product_by_slug(self) -> DataLoader[str, Product | None]:
        return self._cached(
            keys.product_slug,
            OPTIONAL_PRODUCT,
            fetch_one_per_key(catalog.get_by_slugs, attrgetter("slug")),
        )

    @cached_property
    def variants_by_product_id(self) -> DataLoader[uuid.UUID, list[Variant]]:
        return self._cached(
            keys.variants_of, VARIANTS, fetch_many_per_key(variants.of_products, _product_id)
        )

    @cached_property
    def variant_by_id(self) -> DataLoader[uuid.UUID, Variant | None]:
        return self._cached(
            keys.variant, OPTIONAL_VARIANT, fetch_one_per_key(variants.get_by_ids, _id)
        )

    @cached_property
    def variant_by_sku(self) -> DataLoader[str, Variant | None]:
        return self._cached(
            keys.variant_sku,
            OPTIONAL_VARIANT,
            fetch_one_per_key(variants.get_by_skus, attrgetter("sku")),
        )

    @cached_property
    def inventory_by_variant_id(self) -> DataLoader[uuid.UUID, Inventory | None]:
        return self._cached(
            keys.inventory,
            OPTIONAL_INVENTORY,
            fetch_one_per_key(inventory.get_by_variant_ids, attrgetter("variant_id")),
        )

    @cached_property
    def images_by_product_id(self) -> DataLoader[uuid.UUID, list[ProductImage]]:
        return self._cached(
            keys.images_of, IMAGES, fetch_many_per_key(images.of_products, _product_id)
        )

    @cached_property
    def rating_by_product_id(self) -> DataLoader[uuid.UUID, ProductRating | None]:
        return self._cached(
            keys.rating, OPTIONAL_RATING, fetch_one_per_key(reviews.ratings_of, _product_id)
        )

    @cached_property
    def category_by_id(self) -> DataLoader[uuid.UUID, Category | None]:
        return self._cached(
            keys.category, OPTIONAL_CATEGORY, fetch_one_per_key(catalog.categories_by_ids, _id)
        )

    @cached_property
    def category_tree(self) -> DataLoader[str, list[Category]]:
        async def tree(session: AsyncSession, names: list[str]) -> list[list[Category]]:
            rows = list(await catalog.category_tree(session))
            return [rows for _ in names]

        return self._cached(lambda _: keys.CATEGORY_TREE, CATEGORIES, tree)

    @cached_property
    def review_by_id(self) -> DataLoader[uuid.UUID, Review | None]:
        return self._cached(
            keys.review, OPTIONAL_REVIEW, fetch_one_per_key(reviews.get_by_ids, _id)
        )

    @cached_property
    def reviews_by_author_id(self) -> DataLoader[uuid.UUID, list[Review]]:
        async def reviews_by_author(
            session: AsyncSession, author_ids: list[uuid.UUID]
        ) -> list[list[Review]]:
            rows = await reviews.newest_by_authors(session, author_ids, limit=AUTHOR_REVIEWS_CACHED)
            return many_per_key(author_ids, rows, lambda row: row.author_id)

        return self._cached(keys.reviews_by_author, REVIEWS, reviews_by_author)

    @cached_property
    def review_page_by_product(self) -> DataLoader[PageKey, list[Review]]:
        async def review_pages(page_keys: list[PageKey]) -> list[list[Review]]:
            return await self._in_read_session(reviews.newest_pages, page_keys)

        return loader(review_pages)

    @cached_property
    def product_page_by_seller(self) -> DataLoader[PageKey, list[Product]]:
        async def seller_pages(page_keys: list[PageKey]) -> list[list[Product]]:
            return await self._in_read_session(catalog.newest_pages, page_keys)

        return loader(seller_pages)

    @cached_property
    def product_count_by_seller(self) -> DataLoader[uuid.UUID, int]:
        async def seller_counts(seller_ids: list[uuid.UUID]) -> list[int]:
            async with read_session(self.read_session_factory) as session:
                counts = await catalog.count_by_sellers(session, seller_ids)
            return [counts.get(seller_id, 0) for seller_id in seller_ids]

        return loader(seller_counts)

    @cached_property
    def seller_ids_by_user_id(self) -> DataLoader[uuid.UUID, frozenset[uuid.UUID]]:
        async def sellers_of_users(
            session: AsyncSession, user_ids: list[uuid.UUID]
        ) -> list[frozenset[uuid.UUID]]:
            rows = await sellers.of_users(session, user_ids)
            grouped = many_per_key(user_ids, rows, lambda row: row.user_id)
            return [frozenset(row.id for row in group) for group in grouped]

        return self._cached(keys.sellers_of_user, _SellerIdsCodec(), sellers_of_users)

    @cached_property
    def search_aggregates(self) -> DataLoader[ProductSearch, SearchAggregates]:
        async def aggregates(criteria: list[ProductSearch]) -> list[SearchAggregates]:
            return await listing_aggregates(self, criteria)

        return loader(aggregates)

    def price_book(self) -> asyncio.Task[PriceBook]:
        """The promotions every price of this request is read with: one cache read per
        request (a future, so fields can answer without an await once it is in)."""
        if self._price_book is None:
            self._price_book = asyncio.ensure_future(self._read_price_book())
        return self._price_book

    async def _read_price_book(self) -> PriceBook:
        async def fetch(_: list[str]) -> list[list[PromotionTerms]]:
            async with read_session(self.read_session_factory) as session:
                return [await open_promotions(session, self.now)]

        [terms] = await self.cache.read_through(
            ["open"],
            cache_key=lambda _: keys.PROMOTIONS,
            fetch=fetch,
            codec=_PROMOTIONS,
            ttl=PROMOTIONS_TTL,
        )
        return PriceBook(tuple(terms), self.now)

    async def search_generation(self) -> str:
        """The listing-cache generation, read once per request."""
        if self._generation is None:
            self._generation = asyncio.ensure_future(search_generation(self.cache))
        return await self._generation

    async def seller_ids_of(self, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
        return await self.seller_ids_by_user_id.load(user_id)

    async def products_by_ids(self, ids: list[uuid.UUID]) -> list[Product | None]:
        return await self.product_by_id.load_many(ids)

    async def prime_products(self, products: Sequence[Product]) -> None:
        """Rows a listing already read: no second read for this request or the next."""
        for product in products:
            self.product_by_id.prime(product.id, product)
        await self.cache.set_many({keys.product(p.id): PRODUCT.dump(p) for p in products})


def make_loaders(resources: Resources) -> ProductLoaders:
    return ProductLoaders(resources)


_id: Callable[[Any], uuid.UUID] = attrgetter("id")
_product_id: Callable[[Any], uuid.UUID] = attrgetter("product_id")
