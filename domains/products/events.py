"""Events of the products domain: what it publishes, and how it reads what it consumes.

Published events are the contract (JSON Schemas under schema/events/); consumed ones are
read with this domain's own dataclasses holding only the fields it needs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.events import Event
from domains.kit.events import publish as publish_event
from domains.kit.events import publish_all as publish_events
from domains.products.models import EVENT_TABLES


@dataclass(frozen=True)
class VariantPriceChanged(Event):
    """A variant was created, or what it sells for may have changed: its list price, its
    product's category, or a promotion reaching it was created, changed, ended, started
    or ran out."""

    name = "VariantPriceChanged"
    version = 1

    variant_id: uuid.UUID
    product_id: uuid.UUID
    seller_id: uuid.UUID
    sku: str
    # What it sells for now: the list price, or less under the best live promotion.
    price_amount: int
    currency: str
    changed_at: datetime
    # Before any promotion; None from producers older than promotions (= price_amount).
    list_price_amount: int | None = None
    # The live promotion giving price_amount, if any.
    promotion_name: str | None = None
    # The product's category and every category above it.
    category_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class StockLevelChanged(Event):
    """Units of a variant that can be ordered changed (stock adjusted, reserved, released)."""

    name = "StockLevelChanged"
    version = 1

    variant_id: uuid.UUID
    available: int
    changed_at: datetime
    # The order whose reservation, release, sale or restock changed it; None for a change
    # of the stock itself. Carts' admission gate lets go of that order's hold on the
    # variant once its view of the stock has the change (carts/admission.py).
    order_id: uuid.UUID | None = None


@dataclass(frozen=True)
class LoadedOffer:
    variant_id: uuid.UUID
    # As in VariantPriceChanged: what it sells for now, promotions applied.
    price_amount: int
    currency: str
    available: int
    product_id: uuid.UUID | None = None
    seller_id: uuid.UUID | None = None
    list_price_amount: int | None = None
    promotion_name: str | None = None
    category_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class VariantOffersLoaded(Event):
    """Variants entered the catalog in bulk (the demo and bench data): for each, what a
    VariantPriceChanged and a StockLevelChanged would have said, in one event per batch
    of up to a few thousand rather than two events per variant."""

    name = "VariantOffersLoaded"
    version = 1

    offers: list[LoadedOffer]
    loaded_at: datetime


@dataclass(frozen=True)
class ReservedLine:
    variant_id: uuid.UUID
    product_id: uuid.UUID
    seller_id: uuid.UUID
    product_name: str
    sku: str
    # What the unit sells for at reservation: the best live promotion applied.
    unit_price: int
    currency: str
    quantity: int
    list_unit_price: int | None = None
    promotion_name: str | None = None
    category_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class StockReserved(Event):
    """Every line of an order is held; prices, names and SKUs as they are now."""

    name = "StockReserved"
    version = 1

    order_id: uuid.UUID
    lines: list[ReservedLine]
    expires_at: datetime


@dataclass(frozen=True)
class ShortLine:
    variant_id: uuid.UUID
    requested: int
    available: int


@dataclass(frozen=True)
class StockReservationFailed(Event):
    """Nothing of an order is held: INSUFFICIENT_STOCK (the short lines),
    VARIANT_UNAVAILABLE (unknown or not for sale) or CURRENCY_MISMATCH."""

    name = "StockReservationFailed"
    version = 1

    order_id: uuid.UUID
    reason: str
    lines: list[ShortLine]


@dataclass(frozen=True)
class ReviewPublished(Event):
    """A customer reviewed a product; its rating now counts the review."""

    name = "ReviewPublished"
    version = 1

    review_id: uuid.UUID
    product_id: uuid.UUID
    author_id: uuid.UUID
    rating: int
    verified_purchase: bool
    published_at: datetime


@dataclass(frozen=True)
class ReviewRemoved(Event):
    """A review was deleted (by its author or staff); its rating no longer counts."""

    name = "ReviewRemoved"
    version = 1

    review_id: uuid.UUID
    product_id: uuid.UUID
    rating: int
    removed_at: datetime


PUBLISHED: tuple[type[Event], ...] = (
    VariantPriceChanged,
    StockLevelChanged,
    VariantOffersLoaded,
    StockReserved,
    StockReservationFailed,
    ReviewPublished,
    ReviewRemoved,
)


# --------------------------------------------------------------------------- consumed


@dataclass(frozen=True)
class CheckoutLineRequest:
    variant_id: uuid.UUID
    quantity: int


@dataclass(frozen=True)
class CheckoutRequested(Event):
    """What products reads of a checkout: the order it asks for and the units it needs.
    Products reserves them from this event while orders places the order from it, the
    two in parallel; the answer (StockReserved or StockReservationFailed) goes to
    orders, which applies it once the order exists."""

    name = "CheckoutRequested"
    version = 1

    order_id: uuid.UUID
    lines: list[CheckoutLineRequest]
    requested_at: datetime


@dataclass(frozen=True)
class OrderLineRequest:
    variant_id: uuid.UUID
    quantity: int


@dataclass(frozen=True)
class OrderPlaced(Event):
    """Read for orders placed across an upgrade: earlier versions of orders asked for the
    stock with this event; orders now leaves that to CheckoutRequested.
    """

    name = "OrderPlaced"
    version = 1

    order_id: uuid.UUID
    lines: list[OrderLineRequest]
    payment_due_at: datetime


@dataclass(frozen=True)
class OrderCancelled(Event):
    name = "OrderCancelled"
    version = 1

    order_id: uuid.UUID
    # Absent from events written before the field existed: those only released holds.
    restock: bool = False


@dataclass(frozen=True)
class OrderFailed(Event):
    name = "OrderFailed"
    version = 1

    order_id: uuid.UUID


@dataclass(frozen=True)
class OrderDelivered(Event):
    name = "OrderDelivered"
    version = 1

    order_id: uuid.UUID
    customer_id: uuid.UUID
    product_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class PaymentSucceeded(Event):
    name = "PaymentSucceeded"
    version = 1

    order_id: uuid.UUID


CONSUMED: tuple[type[Event], ...] = (
    OrderPlaced,
    OrderCancelled,
    OrderFailed,
    OrderDelivered,
    PaymentSucceeded,
)


async def publish(session: AsyncSession, event: Event) -> None:
    await publish_event(session, EVENT_TABLES, event)


async def publish_all(session: AsyncSession, events: Sequence[Event]) -> None:
    """Several events of one transaction, in their order, in one statement."""
    await publish_events(session, EVENT_TABLES, events)
