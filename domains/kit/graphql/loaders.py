"""Helpers for dataloaders: one SQL statement per batch, results in key order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Coroutine, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domains.kit.cache import Codec, EntityCache
from domains.kit.db import read_session
from domains.kit.tracing import traced_batch

KeyT = TypeVar("KeyT", bound=Hashable)
RowT = TypeVar("RowT")
ValueT = TypeVar("ValueT")


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
