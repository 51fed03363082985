"""Newest-first pages of several owners at once (a shop's products, a product's reviews),
as the GraphQL loaders batch them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

RowT = TypeVar("RowT")
RowT_co = TypeVar("RowT_co", covariant=True)

# Where a newest-first page starts: after the row with this (created_at, id).
Keyset = tuple[datetime, uuid.UUID]
# (owner id, page size, keyset position after which the page starts)
PageKey = tuple[uuid.UUID, int, Keyset | None]


class PageFetch(Protocol[RowT_co]):
    """A repository read of several owners' newest rows, `limit` each, after `after`."""

    def __call__(
        self,
        session: AsyncSession,
        owner_ids: Sequence[uuid.UUID],
        /,
        *,
        limit: int,
        after: Keyset | None,
    ) -> Awaitable[Sequence[RowT_co]]: ...


async def grouped_pages(
    session: AsyncSession,
    page_keys: Sequence[PageKey],
    fetch: PageFetch[RowT],
    owner_of: Callable[[RowT], uuid.UUID],
) -> list[list[RowT]]:
    """Pages of several owners: one statement per distinct (size, cursor), usually one."""
    groups: dict[tuple[int, Any], list[uuid.UUID]] = defaultdict(list)
    for owner_id, limit, after in page_keys:
        groups[(limit, after)].append(owner_id)
    results: dict[PageKey, list[RowT]] = {}
    for (limit, after), owner_ids in groups.items():
        by_owner: dict[uuid.UUID, list[RowT]] = defaultdict(list)
        for row in await fetch(session, owner_ids, limit=limit, after=after):
            by_owner[owner_of(row)].append(row)
        for owner_id in owner_ids:
            results[(owner_id, limit, after)] = by_owner.get(owner_id, [])
    return [results[key] for key in page_keys]


class NewestPages(Generic[RowT]):
    """The pages of one kind of row (a shop's products, a product's reviews), as a
    service method: `await service.newest_pages(session, page_keys)`."""

    def __init__(self, fetch: PageFetch[RowT], owner_of: Callable[[RowT], uuid.UUID]) -> None:
        self._fetch = fetch
        self._owner_of = owner_of

    async def __call__(
        self, session: AsyncSession, page_keys: Sequence[PageKey]
    ) -> list[list[RowT]]:
        return await grouped_pages(session, page_keys, self._fetch, self._owner_of)
