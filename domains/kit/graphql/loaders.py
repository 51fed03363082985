"""Helpers for dataloaders: one SQL statement per batch, results in key order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Coroutine, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader

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
