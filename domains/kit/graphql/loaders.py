"""Helpers for dataloaders: one SQL statement per batch, results in key order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterable, Sequence
from operator import attrgetter
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domains.kit.cache import Codec, EntityCache
from domains.kit.db import read_session
from domains.kit.resources import Resources
from domains.kit.tracing import traced_batch

KeyT = TypeVar("KeyT", bound=Hashable)
RowT = TypeVar("RowT")
ValueT = TypeVar("ValueT")

_by_id: Callable[[Any], Any] = attrgetter("id")


def one_per_key(
    keys: Sequence[KeyT], rows: Iterable[RowT], key_of: Callable[[RowT], KeyT]
) -> list[RowT | None]:
    by_key = {key_of(row): row for row in rows}
    return [by_key.get(key) for key in keys]


def many_per_key(
    keys: Sequence[KeyT], rows: Iterable[RowT], key_of: Callable[[RowT], KeyT]
) -> list[list[RowT]]:
    grouped: dict[KeyT, list[RowT]] = defaultdict(list)
    for row in rows:
        grouped[key_of(row)].append(row)
    return [grouped.get(key, []) for key in keys]


BatchFetch = Callable[[AsyncSession, list[KeyT]], Awaitable[Iterable[RowT]]]


def fetch_one_per_key(
    fetch: BatchFetch[KeyT, RowT], key_of: Callable[[RowT], KeyT]
) -> Callable[[AsyncSession, list[KeyT]], Coroutine[Any, Any, list[RowT | None]]]:
    """A cached loader's fetch of one row per key (None where there is none)."""

    async def batch(session: AsyncSession, batch_keys: list[KeyT]) -> list[RowT | None]:
        return one_per_key(batch_keys, await fetch(session, batch_keys), key_of)

    return batch


def fetch_many_per_key(
    fetch: BatchFetch[KeyT, RowT], key_of: Callable[[RowT], KeyT]
) -> Callable[[AsyncSession, list[KeyT]], Coroutine[Any, Any, list[list[RowT]]]]:
    """A cached loader's fetch of the rows belonging to each key, in the fetch's order."""

    async def batch(session: AsyncSession, batch_keys: list[KeyT]) -> list[list[RowT]]:
        return many_per_key(batch_keys, await fetch(session, batch_keys), key_of)

    return batch


def loader(
    batch: Callable[[list[KeyT]], Coroutine[Any, Any, list[ValueT]]],
) -> DataLoader[KeyT, ValueT]:
    """A request-scoped DataLoader around a batch function.

    The batch function receives the de-duplicated keys of one tick and must return one
    value per key, in order (see one_per_key / many_per_key).
    """
    return DataLoader(batch_load_fn=traced_batch(batch.__name__, batch), max_batch_size=1000)


def cached_loader(
    cache: EntityCache,
    factory: async_sessionmaker[AsyncSession],
    cache_key: Callable[[KeyT], str],
    codec: Codec[ValueT],
    fetch: Callable[[AsyncSession, list[KeyT]], Coroutine[Any, Any, list[ValueT]]],
) -> DataLoader[KeyT, ValueT]:
    """A loader that reads through the entity cache: one MGET per batch, and one `fetch`
    (one SQL statement, in a read session) for the keys Redis did not have."""

    async def from_database(missed: list[KeyT]) -> list[ValueT]:
        async with read_session(factory) as session:
            return await fetch(session, missed)

    async def batch(batch_keys: list[KeyT]) -> list[ValueT]:
        return await cache.read_through(
            batch_keys, cache_key=cache_key, fetch=from_database, codec=codec
        )

    return loader(batch)


def by_id_loader(
    resources: Resources,
    fetch: Callable[[AsyncSession, list[KeyT]], Awaitable[Iterable[RowT]]],
    key_of: Callable[[RowT], KeyT] = _by_id,
) -> DataLoader[KeyT, RowT | None]:
    """A loader of one row per key (None where there is none): one `fetch` per batch, in
    its own read session, answered in key order. `key_of` reads a row's key (its `id`).

    It reads through `resources.read_session_factory`, the replica when there is one. A
    replica may lag the primary, and a loader used right after a write in the same
    request must see that write: it does, because a request's loaders are built from its
    resources, and the unit of work (RequestContext.transaction) replaces both after its
    commit with `Resources.primary_only()`, whose read factory is the primary's. Reads
    before any write may lag by a moment, as every other replica read does.
    """

    async def batch(keys: list[KeyT]) -> list[RowT | None]:
        async with read_session(resources.read_session_factory) as session:
            rows = await fetch(session, keys)
        return one_per_key(keys, rows, key_of)

    return _named_loader(batch, fetch)


def many_by_key_loader(
    resources: Resources,
    fetch: Callable[[AsyncSession, list[KeyT]], Awaitable[Iterable[RowT]]],
    key_of: Callable[[RowT], KeyT],
) -> DataLoader[KeyT, list[RowT]]:
    """A loader of the rows belonging to each key (an order's lines, a cart's lines):
    one `fetch` per batch in a read session, grouped by `key_of`, in key order. It reads
    where by_id_loader does, for the same reason."""

    async def batch(keys: list[KeyT]) -> list[list[RowT]]:
        async with read_session(resources.read_session_factory) as session:
            rows = await fetch(session, keys)
        return many_per_key(keys, rows, key_of)

    return _named_loader(batch, fetch)


def _named_loader(
    batch: Callable[[list[KeyT]], Coroutine[Any, Any, list[ValueT]]], fetch: Callable[..., Any]
) -> DataLoader[KeyT, ValueT]:
    # The batch's span is named for what it fetches ("OrderRepository.get_by_ids").
    batch.__name__ = getattr(fetch, "__qualname__", batch.__name__)
    return loader(batch)
