"""The terms of a product listing: what it asks for (filter, sort), the cursors of its
pages, and the facet counts it answers with."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domains.kit.errors import DomainError, quoted
from domains.kit.pagination import InvalidPaginationArgument, decode_cursor, encode_cursor
from domains.products.models import ProductStatus

# Upper bounds (inclusive) of the price bands in facets, in minor units; the last band
# is open-ended. Bands are [0, 999], [1000, 2499], ..., [25000, ...).
PRICE_BAND_BOUNDS: tuple[int, ...] = (1000, 2500, 5000, 10000, 25000)


class InvalidSearchArgument(DomainError):
    code = "BAD_USER_INPUT"


class ProductSort(StrEnum):
    RELEVANCE = "RELEVANCE"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"
    NEWEST = "NEWEST"
    RATING = "RATING"


@dataclass(frozen=True)
class ProductFilter:
    """A listing filter as the client sent it."""

    search: str | None = None
    category_id: str | None = None
    seller_id: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    currency: str | None = None
    in_stock: bool | None = None
    statuses: Sequence[str] | None = None


@dataclass(frozen=True)
class ProductSearch:
    """What a listing asks for; every field narrows the result (None: no constraint)."""

    text: str | None = None
    category_id: uuid.UUID | None = None
    seller_id: uuid.UUID | None = None
    min_price: int | None = None
    max_price: int | None = None
    currency: str | None = None
    in_stock: bool | None = None
    statuses: tuple[str, ...] = (ProductStatus.ACTIVE.value,)

    def cache_key(self) -> list[Any]:
        return [
            self.text,
            self.category_id,
            self.seller_id,
            self.min_price,
            self.max_price,
            self.currency,
            self.in_stock,
            sorted(self.statuses),
        ]


@dataclass(frozen=True)
class SearchAggregates:
    """A listing's count, exact up to SearchLimits.count, and its facets over the
    `sampled` best matches (every match when there are no more than SearchLimits.best)."""

    total: int
    exact: bool
    sampled: int
    in_stock: int
    by_category: dict[uuid.UUID, int]
    by_price_band: dict[int, int]


def _cursor_kind(sort: ProductSort) -> str:
    return f"Product:{sort.value}"


def cursor_of(sort: ProductSort, values: Sequence[Any]) -> str:
    """The cursor of a row from its sort key values."""
    return encode_cursor(_cursor_kind(sort), [cursor_value(value) for value in values])


def sort_values_of(sort: ProductSort, after: str, key_types: Sequence[type]) -> list[Any]:
    """Sort key values back from a cursor of `sort`, whose keys have `key_types`."""
    try:
        raw = decode_cursor(_cursor_kind(sort), after, arity=len(key_types))
        return parse_cursor_values(key_types, raw)
    except ValueError:
        raise InvalidPaginationArgument(f"The cursor {quoted(after)} is malformed.") from None


def cursor_value(value: Any) -> Any:
    """A sort key value as it goes into a cursor (JSON)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    return value


def parse_cursor_values(key_types: Sequence[type], raw: Sequence[Any]) -> list[Any]:
    """Sort key values back from a cursor; ValueError when they do not fit the sort."""
    if len(raw) != len(key_types):
        raise ValueError("wrong number of sort keys")
    parsed: list[Any] = []
    for python_type, value in zip(key_types, raw, strict=True):
        if value is None:
            raise ValueError("null sort key")
        if python_type is datetime:
            parsed.append(datetime.fromisoformat(str(value)))
        elif python_type is uuid.UUID:
            parsed.append(uuid.UUID(str(value)))
        elif python_type is Decimal:
            parsed.append(Decimal(str(value)))
        elif python_type is float and isinstance(value, (int, float)):
            parsed.append(float(value))
        elif python_type is int and isinstance(value, int) and not isinstance(value, bool):
            parsed.append(value)
        else:
            raise ValueError(f"unexpected sort key {value!r}")
    return parsed
