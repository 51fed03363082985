"""What a variant sells for now: its list price, or less under a live promotion.

Pure functions over plain values, no I/O: the GraphQL reads, the events and the seed
all price through here, so a shopper, a cart and a reservation see the same amount.

- A promotion's price of one unit: PERCENTAGE takes round_half_up(list * bp / 10000)
  off; FIXED takes its amount off (only for products in its currency). Never below 0.
- Promotions do not stack: the price is the lowest of the list price and each live
  applicable promotion's price, the best for the shopper. On a tie, the promotion that
  started first (then the smaller id) is the one named, so the choice is stable.
- Every promotion's price is non-decreasing in the list price, so a product's cheapest
  and dearest variants stay its cheapest and dearest under any promotion: a product's
  promoted price range is its list price range, each end priced alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from domains.products.models import Promotion, PromotionKind

BASIS_POINTS = 10_000


def round_half_up_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def promoted_unit_price(list_price: int, kind: PromotionKind | str, value: int) -> int:
    """One unit's price under one promotion: exact integer arithmetic, never below 0."""
    if kind == PromotionKind.PERCENTAGE:
        discount = round_half_up_div(list_price * value, BASIS_POINTS)
    else:
        discount = value
    return max(list_price - discount, 0)


class PricedProduct(Protocol):
    """What deciding a promotion's reach needs of a product (a row or a cached copy)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def seller_id(self) -> uuid.UUID: ...

    @property
    def category_id(self) -> uuid.UUID | None: ...


@dataclass(frozen=True)
class PromotionTerms:
    """A promotion as pricing reads it, with its category scope widened to every
    category below the ones named (`covered_category_ids`)."""

    id: uuid.UUID
    name: str
    kind: str
    value: int
    currency: str | None
    seller_id: uuid.UUID | None
    category_ids: tuple[uuid.UUID, ...]
    product_ids: tuple[uuid.UUID, ...]
    covered_category_ids: frozenset[uuid.UUID]
    starts_at: datetime
    ends_at: datetime | None
    ended_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Promotion, covered_category_ids: Iterable[uuid.UUID] = ()) -> PromotionTerms:
        return cls(
            id=row.id,
            name=row.name,
            kind=row.kind,
            value=row.value,
            currency=row.currency,
            seller_id=row.seller_id,
            category_ids=tuple(row.category_ids),
            product_ids=tuple(row.product_ids),
            covered_category_ids=frozenset(covered_category_ids),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            ended_at=row.ended_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @property
    def over_at(self) -> datetime | None:
        """When it stops applying: its end, or the moment it was ended early."""
        ends = [moment for moment in (self.ends_at, self.ended_at) if moment is not None]
        return min(ends) if ends else None

    def live_at(self, now: datetime) -> bool:
        over_at = self.over_at
        return self.starts_at <= now and (over_at is None or now < over_at)

    def covers(self, product: PricedProduct, currency: str | None) -> bool:
        """Whether the promotion reaches the product (whatever the time)."""
        if self.seller_id is not None and product.seller_id != self.seller_id:
            return False
        if self.kind == PromotionKind.FIXED and currency != self.currency:
            return False
        if not self.category_ids and not self.product_ids:
            return True  # the whole catalogue, or the whole shop
        return product.id in self.product_ids or (
            product.category_id is not None and product.category_id in self.covered_category_ids
        )

    def price_of(self, list_price: int) -> int:
        return promoted_unit_price(list_price, self.kind, self.value)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "kind": self.kind,
            "value": self.value,
            "currency": self.currency,
            "seller_id": None if self.seller_id is None else str(self.seller_id),
            "category_ids": [str(item) for item in self.category_ids],
            "product_ids": [str(item) for item in self.product_ids],
            "covered_category_ids": sorted(str(item) for item in self.covered_category_ids),
            "starts_at": self.starts_at.isoformat(),
            "ends_at": None if self.ends_at is None else self.ends_at.isoformat(),
            "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PromotionTerms:
        def moment(raw: str | None) -> datetime | None:
            return None if raw is None else datetime.fromisoformat(raw)

        return cls(
            id=uuid.UUID(data["id"]),
            name=data["name"],
            kind=data["kind"],
            value=int(data["value"]),
            currency=data["currency"],
            seller_id=None if data["seller_id"] is None else uuid.UUID(data["seller_id"]),
            category_ids=tuple(uuid.UUID(item) for item in data["category_ids"]),
            product_ids=tuple(uuid.UUID(item) for item in data["product_ids"]),
            covered_category_ids=frozenset(uuid.UUID(i) for i in data["covered_category_ids"]),
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=moment(data["ends_at"]),
            ended_at=moment(data["ended_at"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
        )


@dataclass(frozen=True)
class PromotedPrice:
    list_price: int
    price: int
    promotion: PromotionTerms | None

    @property
    def discount(self) -> int:
        return self.list_price - self.price


def best_price(
    list_price: int,
    currency: str | None,
    product: PricedProduct,
    live: Iterable[PromotionTerms],
) -> PromotedPrice:
    """The unit price under the best of the `live` promotions that reach the product.

    A promotion that takes nothing off (1 basis point of 10 minor units) is not named.
    """
    best = PromotedPrice(list_price, list_price, None)
    for promotion in live:
        if not promotion.covers(product, currency):
            continue
        price = promotion.price_of(list_price)
        if price >= list_price:
            continue
        if (
            best.promotion is None
            or price < best.price
            or (price == best.price and _earlier(promotion, best.promotion))
        ):
            best = PromotedPrice(list_price, price, promotion)
    return best


def _earlier(one: PromotionTerms, other: PromotionTerms) -> bool:
    return (one.starts_at, str(one.id)) < (other.starts_at, str(other.id))


@dataclass(frozen=True)
class PriceBook:
    """The promotions a read prices with, and the instant it prices at.

    `promotions` holds the live and the upcoming ones; which are live is decided at
    `now`, so a cached book never applies a promotion past its end or before its start.
    """

    promotions: tuple[PromotionTerms, ...]
    now: datetime

    @cached_property
    def live(self) -> tuple[PromotionTerms, ...]:
        return tuple(promotion for promotion in self.promotions if promotion.live_at(self.now))

    def price(self, list_price: int, currency: str | None, product: PricedProduct) -> PromotedPrice:
        return best_price(list_price, currency, product, self.live)
