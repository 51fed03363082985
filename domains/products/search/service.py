"""Serving product listings: a client's filter checked into search criteria, and one
`listing_page` that reads a page through the listing cache.

Listings and their facets live for five minutes under a *generation*:
`products:search:<generation>:...`, where the generation is a random token kept at
`products:search-generation` (cache.SEARCH_GENERATION). A write that can change any
listing (a product's name, status or price, a review, stock running out or coming back)
deletes the generation key, so every cached listing is orphaned at once without scanning
for keys; the next search starts a new generation.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domains.kit.auth import Viewer
from domains.kit.cache import EntityCache, dumps
from domains.kit.db import read_session
from domains.kit.errors import PermissionDenied, quoted
from domains.products import cache as keys
from domains.products.config import SearchLimits
from domains.products.currencies import normalize_currency
from domains.products.models import Product, ProductStatus
from domains.products.search.criteria import (
    InvalidSearchArgument,
    ProductFilter,
    ProductSearch,
    ProductSort,
    SearchAggregates,
    cursor_of,
    sort_values_of,
)
from domains.products.search.repository import search_repository, sort_key_types

MAX_SEARCH_LENGTH = 200
SEARCH_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class SearchPage:
    rows: list[tuple[Product, str]]
    has_next_page: bool
    has_previous_page: bool


def _parse_filter_id(raw: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidSearchArgument(f"`filter.{field}`: {quoted(raw)} is not a valid ID.") from None


class SearchService:
    def criteria(
        self, viewer: Viewer, seller_ids: frozenset[uuid.UUID], raw: ProductFilter | None
    ) -> ProductSearch:
        """Validate a filter; only staff and a shop's own seller see non-ACTIVE products."""
        raw = raw or ProductFilter()
        text = None
        if raw.search is not None:
            text = " ".join(raw.search.split()) or None
            if text is not None and len(text) > MAX_SEARCH_LENGTH:
                raise InvalidSearchArgument(
                    f"`filter.search` must be at most {MAX_SEARCH_LENGTH} characters."
                )
        for name, value in (("minPrice", raw.min_price), ("maxPrice", raw.max_price)):
            if value is not None and value < 0:
                raise InvalidSearchArgument(f"`filter.{name}` must not be negative (got {value}).")
        if (
            raw.min_price is not None
            and raw.max_price is not None
            and raw.min_price > raw.max_price
        ):
            raise InvalidSearchArgument("`filter.minPrice` must not exceed `filter.maxPrice`.")
        currency = None
        if raw.currency is not None:
            currency = normalize_currency(raw.currency)
            if currency is None:
                raise InvalidSearchArgument(
                    f"`filter.currency`: {quoted(raw.currency)} is not an ISO 4217 currency code."
                )
        seller_id = None if raw.seller_id is None else _parse_filter_id(raw.seller_id, "sellerId")
        statuses: tuple[str, ...] = (ProductStatus.ACTIVE.value,)
        if raw.statuses:
            try:
                statuses = tuple(sorted({ProductStatus(value).value for value in raw.statuses}))
            except ValueError:
                raise InvalidSearchArgument("`filter.statuses` holds an unknown status.") from None
            if statuses != (ProductStatus.ACTIVE.value,) and not (
                viewer.is_staff or (seller_id is not None and seller_id in seller_ids)
            ):
                raise PermissionDenied(
                    "Only staff, or a seller filtering on their own shop, can list products "
                    "that are not ACTIVE."
                )
        return ProductSearch(
            text=text,
            category_id=(
                None if raw.category_id is None else _parse_filter_id(raw.category_id, "categoryId")
            ),
            seller_id=seller_id,
            min_price=raw.min_price,
            max_price=raw.max_price,
            currency=currency,
            in_stock=raw.in_stock,
            statuses=statuses,
        )

    def decode_after(
        self, criteria: ProductSearch, sort: ProductSort, after: str | None
    ) -> list[Any] | None:
        """The sort key values a page starts after; InvalidPaginationArgument for a
        cursor that is not one of this listing's."""
        if after is None:
            return None
        return sort_values_of(sort, after, sort_key_types(criteria, sort))

    async def page(
        self,
        session: AsyncSession,
        criteria: ProductSearch,
        sort: ProductSort,
        *,
        first: int,
        after: Sequence[Any] | None,
    ) -> SearchPage:
        """One page of at most `first` rows after the decoded cursor `after`."""
        rows = await search_repository.page(
            session, criteria, sort, limit=first + 1, after=after, limits=search_limits()
        )
        page = [(product, cursor_of(sort, values)) for product, values in rows[:first]]
        return SearchPage(
            rows=page, has_next_page=len(rows) > first, has_previous_page=after is not None
        )

    async def aggregates(self, session: AsyncSession, criteria: ProductSearch) -> SearchAggregates:
        return await search_repository.aggregates(session, criteria, search_limits())


search = SearchService()


@functools.cache
def search_limits() -> SearchLimits:
    """The deployment's search limits, read from the environment once."""
    return SearchLimits.from_env()


# --------------------------------------------------------------------------- the listing cache


class ListingReads(Protocol):
    """What a listing reads through the request's loaders (graphql/loaders.py): the
    caches, the listing generation (read once per request) and the product entities."""

    @property
    def cache(self) -> EntityCache: ...

    @property
    def read_session_factory(self) -> async_sessionmaker[AsyncSession]: ...

    async def search_generation(self) -> str: ...

    async def seller_ids_of(self, user_id: uuid.UUID) -> frozenset[uuid.UUID]: ...

    async def products_by_ids(self, ids: list[uuid.UUID]) -> list[Product | None]: ...

    async def prime_products(self, products: Sequence[Product]) -> None: ...


async def search_generation(cache: EntityCache) -> str:
    """The current listing generation, starting a new one if there is none.

    A plain read first: the generation almost always exists, and a GET joins the other
    cache reads of the moment, where starting one is a transaction of its own.
    """
    current = await cache.get(keys.SEARCH_GENERATION)
    if isinstance(current, str):
        return current
    generation: str = await cache.add(keys.SEARCH_GENERATION, uuid.uuid4().hex, ttl=SEARCH_TTL * 2)
    return generation


def _digest(parts: Sequence[Any]) -> str:
    return hashlib.sha256(dumps(list(parts))).hexdigest()[:32]


def _page_key(generation: str, parts: Sequence[Any]) -> str:
    return f"{keys.NAMESPACE}:search:{generation}:page:{_digest(parts)}"


def _aggregates_key(generation: str, parts: Sequence[Any]) -> str:
    return f"{keys.NAMESPACE}:search:{generation}:facets:{_digest(parts)}"


@dataclass(frozen=True)
class Listing:
    criteria: ProductSearch
    page: SearchPage


async def listing_page(
    reads: ListingReads,
    viewer: Viewer,
    raw: ProductFilter | None,
    sort: ProductSort,
    *,
    first: int,
    after: str | None,
    along: Callable[[list[uuid.UUID]], Awaitable[object]] | None = None,
) -> Listing:
    """One page of a listing: from the listing cache, else one SQL statement.

    The filter is checked and the cursor decoded first, once, so a bad one fails before
    any I/O. The cache keeps only ids and cursors; the products come from the entity
    cache, which writes invalidate individually. `along` reads what the page's products
    will be asked for, given their ids: on a cached page it runs beside the products'
    read, so both are one cache round trip.
    """
    seller_ids: frozenset[uuid.UUID] = frozenset()
    if raw is not None and raw.statuses and viewer.user_id is not None:
        seller_ids = await reads.seller_ids_of(viewer.user_id)
    criteria = search.criteria(viewer, seller_ids, raw)
    after_values = search.decode_after(criteria, sort, after)
    generation = await reads.search_generation()
    limits = search_limits()
    key = _page_key(
        generation, [criteria.cache_key(), sort.value, first, after, limits.count, limits.best]
    )
    cached = await reads.cache.get(key)
    if isinstance(cached, dict):
        ids = [uuid.UUID(item) for item in cached["ids"]]
        if along is None:
            models = await reads.products_by_ids(ids)
        else:
            models, _ = await asyncio.gather(reads.products_by_ids(ids), along(ids))
        rows = [
            (model, cursor)
            for model, cursor in zip(models, cached["cursors"], strict=True)
            if model is not None
        ]
        page = SearchPage(rows, bool(cached["has_next"]), has_previous_page=after is not None)
        return Listing(criteria, page)
    async with read_session(reads.read_session_factory) as session:
        page = await search.page(session, criteria, sort, first=first, after=after_values)
    await reads.prime_products([product for product, _ in page.rows])
    if along is not None:
        await along([product.id for product, _ in page.rows])
    await reads.cache.set(
        key,
        {
            "ids": [str(product.id) for product, _ in page.rows],
            "cursors": [cursor for _, cursor in page.rows],
            "has_next": page.has_next_page,
        },
        ttl=SEARCH_TTL,
    )
    return Listing(criteria, page)


class _AggregatesCodec:
    def dump(self, value: SearchAggregates) -> dict[str, Any]:
        return {
            "total": value.total,
            "exact": value.exact,
            "sampled": value.sampled,
            "in_stock": value.in_stock,
            "by_category": {str(key): count for key, count in value.by_category.items()},
            "by_price_band": {str(key): count for key, count in value.by_price_band.items()},
        }

    def load(self, data: Any) -> SearchAggregates:
        return SearchAggregates(
            total=int(data["total"]),
            exact=bool(data["exact"]),
            sampled=int(data["sampled"]),
            in_stock=int(data["in_stock"]),
            by_category={uuid.UUID(key): int(n) for key, n in data["by_category"].items()},
            by_price_band={int(key): int(n) for key, n in data["by_price_band"].items()},
        )


_AGGREGATES = _AggregatesCodec()


async def listing_aggregates(
    reads: ListingReads, criteria: list[ProductSearch]
) -> list[SearchAggregates]:
    """Totals and facets of listings, through the listing cache; the ones it misses are
    one statement each, in one read session."""
    generation = await reads.search_generation()
    limits = [search_limits().count, search_limits().best]

    async def from_database(missed: list[ProductSearch]) -> list[SearchAggregates]:
        async with read_session(reads.read_session_factory) as session:
            return [await search.aggregates(session, item) for item in missed]

    cached_values = await reads.cache.read_through(
        criteria,
        cache_key=lambda item: _aggregates_key(generation, [item.cache_key(), limits]),
        fetch=from_database,
        codec=_AGGREGATES,
        ttl=SEARCH_TTL,
    )
    return cached_values
