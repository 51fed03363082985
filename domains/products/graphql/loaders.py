"""One dataloader per relationship, read through the Redis entity cache.

A batch is one MGET; the keys it misses are one SQL statement, whose rows are written
back with REDIS_TTL. With a warm cache a request runs no SQL for the entities at all,
and with Redis down every batch is still exactly one statement.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domains.kit.cache import EntityCache, ListCodec, ModelCodec, OptionalCodec
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

# User.reviews serves up to this many of an author's newest reviews from one cache entry.
AUTHOR_REVIEWS_CACHED = 100

PRODUCT = ModelCodec(Product)
VARIANT = ModelCodec(Variant)
CATEGORY = ModelCodec(Category)
REVIEW = ModelCodec(Review)
OPTIONAL_PRODUCT = OptionalCodec(PRODUCT)

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


@dataclass
class ProductLoaders:
    cache: EntityCache
    read_session_factory: async_sessionmaker[AsyncSession]
    product_by_id: DataLoader[uuid.UUID, Product | None]
    product_by_slug: DataLoader[str, Product | None]
    variants_by_product_id: DataLoader[uuid.UUID, list[Variant]]
    variant_by_id: DataLoader[uuid.UUID, Variant | None]
    variant_by_sku: DataLoader[str, Variant | None]
    inventory_by_variant_id: DataLoader[uuid.UUID, Inventory | None]
    images_by_product_id: DataLoader[uuid.UUID, list[ProductImage]]
    rating_by_product_id: DataLoader[uuid.UUID, ProductRating | None]
    category_by_id: DataLoader[uuid.UUID, Category | None]
    category_tree: DataLoader[str, list[Category]]
    review_by_id: DataLoader[uuid.UUID, Review | None]
    reviews_by_author_id: DataLoader[uuid.UUID, list[Review]]
    review_page_by_product: DataLoader[PageKey, list[Review]]
    product_page_by_seller: DataLoader[PageKey, list[Product]]
    product_count_by_seller: DataLoader[uuid.UUID, int]
    seller_ids_by_user_id: DataLoader[uuid.UUID, frozenset[uuid.UUID]]
    search_aggregates: DataLoader[ProductSearch, SearchAggregates]
    # The instant this request prices at: one for all its fields.
    now: datetime = field(default_factory=lambda: _request_instant())
    _generation: asyncio.Task[str] | None = field(default=None)
    _price_book: asyncio.Task[PriceBook] | None = field(default=None)

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
    factory = resources.read_session_factory
    cache = EntityCache.from_settings(resources.redis, resources.settings)

    cached = functools.partial(cached_loader, cache, factory)

    async def tree(session: AsyncSession, names: list[str]) -> list[list[Category]]:
        rows = list(await catalog.category_tree(session))
        return [rows for _ in names]

    async def reviews_by_author(
        session: AsyncSession, author_ids: list[uuid.UUID]
    ) -> list[list[Review]]:
        rows = await reviews.newest_by_authors(session, author_ids, limit=AUTHOR_REVIEWS_CACHED)
        return many_per_key(author_ids, rows, lambda row: row.author_id)

    async def sellers_of_users(
        session: AsyncSession, user_ids: list[uuid.UUID]
    ) -> list[frozenset[uuid.UUID]]:
        rows = await sellers.of_users(session, user_ids)
        grouped = many_per_key(user_ids, rows, lambda row: row.user_id)
        return [frozenset(row.id for row in group) for group in grouped]

    async def review_pages(page_keys: list[PageKey]) -> list[list[Review]]:
        async with read_session(factory) as session:
            return await reviews.newest_pages(session, page_keys)

    async def seller_pages(page_keys: list[PageKey]) -> list[list[Product]]:
        async with read_session(factory) as session:
            return await catalog.newest_pages(session, page_keys)

    async def seller_counts(seller_ids: list[uuid.UUID]) -> list[int]:
        async with read_session(factory) as session:
            counts = await catalog.count_by_sellers(session, seller_ids)
        return [counts.get(seller_id, 0) for seller_id in seller_ids]

    async def aggregates(criteria: list[ProductSearch]) -> list[SearchAggregates]:
        return await listing_aggregates(loaders, criteria)

    loaders = ProductLoaders(
        cache=cache,
        read_session_factory=factory,
        product_by_id=cached(
            keys.product, OPTIONAL_PRODUCT, fetch_one_per_key(catalog.get_by_ids, _id)
        ),
        product_by_slug=cached(
            keys.product_slug,
            OPTIONAL_PRODUCT,
            fetch_one_per_key(catalog.get_by_slugs, attrgetter("slug")),
        ),
        variants_by_product_id=cached(
            keys.variants_of,
            ListCodec(VARIANT),
            fetch_many_per_key(variants.of_products, _product_id),
        ),
        variant_by_id=cached(
            keys.variant, OptionalCodec(VARIANT), fetch_one_per_key(variants.get_by_ids, _id)
        ),
        variant_by_sku=cached(
            keys.variant_sku,
            OptionalCodec(VARIANT),
            fetch_one_per_key(variants.get_by_skus, attrgetter("sku")),
        ),
        inventory_by_variant_id=cached(
            keys.inventory,
            OptionalCodec(ModelCodec(Inventory)),
            fetch_one_per_key(inventory.get_by_variant_ids, attrgetter("variant_id")),
        ),
        images_by_product_id=cached(
            keys.images_of,
            ListCodec(ModelCodec(ProductImage)),
            fetch_many_per_key(images.of_products, _product_id),
        ),
        rating_by_product_id=cached(
            keys.rating,
            OptionalCodec(ModelCodec(ProductRating)),
            fetch_one_per_key(reviews.ratings_of, _product_id),
        ),
        category_by_id=cached(
            keys.category,
            OptionalCodec(CATEGORY),
            fetch_one_per_key(catalog.categories_by_ids, _id),
        ),
        category_tree=cached(lambda _: keys.CATEGORY_TREE, ListCodec(CATEGORY), tree),
        review_by_id=cached(
            keys.review, OptionalCodec(REVIEW), fetch_one_per_key(reviews.get_by_ids, _id)
        ),
        reviews_by_author_id=cached(keys.reviews_by_author, ListCodec(REVIEW), reviews_by_author),
        review_page_by_product=loader(review_pages),
        product_page_by_seller=loader(seller_pages),
        product_count_by_seller=loader(seller_counts),
        seller_ids_by_user_id=cached(keys.sellers_of_user, _SellerIdsCodec(), sellers_of_users),
        search_aggregates=loader(aggregates),
    )
    return loaders


_id: Callable[[Any], uuid.UUID] = attrgetter("id")
_product_id: Callable[[Any], uuid.UUID] = attrgetter("product_id")
