"""One dataloader per relationship, read through the Redis entity cache.

A batch is one MGET; the keys it misses are one SQL statement, whose rows are written
back with REDIS_TTL. With a warm cache a request runs no SQL for the entities at all,
and with Redis down every batch is still exactly one statement.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections import defaultdict
from collections.abc import Callable, Coroutine, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domains.kit.cache import EntityCache, ListCodec, ModelCodec, OptionalCodec
from domains.kit.db import read_session
from domains.kit.graphql.loaders import cached_loader, loader, many_per_key, one_per_key
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
from domains.products.search.criteria import ProductSearch, SearchAggregates
from domains.products.search.service import listing_aggregates, search_generation
from domains.products.services.catalog import catalog
from domains.products.services.images import images
from domains.products.services.reviews import reviews
from domains.products.services.sellers import sellers
from domains.products.services.stock import inventory
from domains.products.services.variants import variants

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")

# User.reviews serves up to this many of an author's newest reviews from one cache entry.
AUTHOR_REVIEWS_CACHED = 100

PRODUCT = ModelCodec(Product)
VARIANT = ModelCodec(Variant)
CATEGORY = ModelCodec(Category)
REVIEW = ModelCodec(Review)
OPTIONAL_PRODUCT = OptionalCodec(PRODUCT)


class _SellerIdsCodec:
    def dump(self, value: frozenset[uuid.UUID]) -> list[str]:
        return sorted(str(item) for item in value)

    def load(self, data: Any) -> frozenset[uuid.UUID]:
        return frozenset(uuid.UUID(item) for item in data)


# (owner id, page size, keyset position after which the page starts)
PageKey = tuple[uuid.UUID, int, tuple[datetime, uuid.UUID] | None]


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
    _generation: asyncio.Task[str] | None = field(default=None)

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

    async def products(session: AsyncSession, ids: list[uuid.UUID]) -> list[Product | None]:
        return one_per_key(ids, await catalog.get_by_ids(session, ids), _id)

    async def products_by_slug(session: AsyncSession, slugs: list[str]) -> list[Product | None]:
        rows = await catalog.get_by_slugs(session, slugs)
        return one_per_key(slugs, rows, lambda row: row.slug)

    async def variants_of(session: AsyncSession, ids: list[uuid.UUID]) -> list[list[Variant]]:
        rows = await variants.of_products(session, ids)
        return many_per_key(ids, rows, lambda row: row.product_id)

    async def variants_by_id(session: AsyncSession, ids: list[uuid.UUID]) -> list[Variant | None]:
        return one_per_key(ids, await variants.get_by_ids(session, ids), _id)

    async def variants_by_sku(session: AsyncSession, skus: list[str]) -> list[Variant | None]:
        rows = await variants.get_by_skus(session, skus)
        return one_per_key(skus, rows, lambda row: row.sku)

    async def stock(session: AsyncSession, ids: list[uuid.UUID]) -> list[Inventory | None]:
        rows = await inventory.get_by_variant_ids(session, ids)
        return one_per_key(ids, rows, lambda row: row.variant_id)

    async def images_of(session: AsyncSession, ids: list[uuid.UUID]) -> list[list[ProductImage]]:
        rows = await images.of_products(session, ids)
        return many_per_key(ids, rows, lambda row: row.product_id)

    async def ratings(session: AsyncSession, ids: list[uuid.UUID]) -> list[ProductRating | None]:
        rows = await reviews.ratings_of(session, ids)
        return one_per_key(ids, rows, lambda row: row.product_id)

    async def categories(session: AsyncSession, ids: list[uuid.UUID]) -> list[Category | None]:
        return one_per_key(ids, await catalog.categories_by_ids(session, ids), _id)

    async def tree(session: AsyncSession, names: list[str]) -> list[list[Category]]:
        rows = list(await catalog.category_tree(session))
        return [rows for _ in names]

    async def reviews_by_id(session: AsyncSession, ids: list[uuid.UUID]) -> list[Review | None]:
        return one_per_key(ids, await reviews.get_by_ids(session, ids), _id)

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
        return await _grouped_pages(
            factory,
            page_keys,
            lambda session, ids, limit, after: reviews.newest_of_products(
                session, ids, limit=limit, after=after
            ),
            lambda row: row.product_id,
        )

    async def seller_pages(page_keys: list[PageKey]) -> list[list[Product]]:
        return await _grouped_pages(
            factory,
            page_keys,
            lambda session, ids, limit, after: catalog.newest_of_sellers(
                session, ids, limit=limit, after=after
            ),
            lambda row: row.seller_id,
        )

    async def seller_counts(seller_ids: list[uuid.UUID]) -> list[int]:
        async with read_session(factory) as session:
            counts = await catalog.count_by_sellers(session, seller_ids)
        return [counts.get(seller_id, 0) for seller_id in seller_ids]

    async def aggregates(criteria: list[ProductSearch]) -> list[SearchAggregates]:
        return await listing_aggregates(loaders, criteria)

    loaders = ProductLoaders(
        cache=cache,
        read_session_factory=factory,
        product_by_id=cached(keys.product, OPTIONAL_PRODUCT, products),
        product_by_slug=cached(keys.product_slug, OPTIONAL_PRODUCT, products_by_slug),
        variants_by_product_id=cached(keys.variants_of, ListCodec(VARIANT), variants_of),
        variant_by_id=cached(keys.variant, OptionalCodec(VARIANT), variants_by_id),
        variant_by_sku=cached(keys.variant_sku, OptionalCodec(VARIANT), variants_by_sku),
        inventory_by_variant_id=cached(keys.inventory, OptionalCodec(ModelCodec(Inventory)), stock),
        images_by_product_id=cached(keys.images_of, ListCodec(ModelCodec(ProductImage)), images_of),
        rating_by_product_id=cached(keys.rating, OptionalCodec(ModelCodec(ProductRating)), ratings),
        category_by_id=cached(keys.category, OptionalCodec(CATEGORY), categories),
        category_tree=cached(lambda _: keys.CATEGORY_TREE, ListCodec(CATEGORY), tree),
        review_by_id=cached(keys.review, OptionalCodec(REVIEW), reviews_by_id),
        reviews_by_author_id=cached(keys.reviews_by_author, ListCodec(REVIEW), reviews_by_author),
        review_page_by_product=loader(review_pages),
        product_page_by_seller=loader(seller_pages),
        product_count_by_seller=loader(seller_counts),
        seller_ids_by_user_id=cached(keys.sellers_of_user, _SellerIdsCodec(), sellers_of_users),
        search_aggregates=loader(aggregates),
    )
    return loaders


def _id(row: Any) -> uuid.UUID:
    identifier: uuid.UUID = row.id
    return identifier


async def _grouped_pages(
    factory: async_sessionmaker[AsyncSession],
    page_keys: list[PageKey],
    fetch: Callable[
        [AsyncSession, list[uuid.UUID], int, tuple[datetime, uuid.UUID] | None],
        Coroutine[Any, Any, Sequence[ValueT]],
    ],
    owner_of: Callable[[ValueT], uuid.UUID],
) -> list[list[ValueT]]:
    """Pages of several owners: one statement per distinct (size, cursor), usually one."""
    groups: dict[tuple[int, Any], list[uuid.UUID]] = defaultdict(list)
    for owner_id, limit, after in page_keys:
        groups[(limit, after)].append(owner_id)
    results: dict[PageKey, list[ValueT]] = {}
    async with read_session(factory) as session:
        for (limit, after), owner_ids in groups.items():
            rows = await fetch(session, owner_ids, limit, after)
            for owner_id, group in zip(
                owner_ids, many_per_key(owner_ids, rows, owner_of), strict=True
            ):
                results[(owner_id, limit, after)] = group
    return [results[key] for key in page_keys]
