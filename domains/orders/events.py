"""Events of the orders domain: what it publishes, and how it reads what it consumes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.events import Event
from domains.kit.events import publish as publish_event
from domains.orders.models import EVENT_TABLES


@dataclass(frozen=True)
class OrderLineRequest:
    variant_id: uuid.UUID
    quantity: int


@dataclass(frozen=True)
class OrderPlaced(Event):
    """An order was created PENDING: its stock is to be reserved until payment_due_at."""

    name = "OrderPlaced"
    version = 1

    order_id: uuid.UUID
    customer_id: uuid.UUID
    lines: list[OrderLineRequest]
    payment_due_at: datetime


@dataclass(frozen=True)
class FailedLine:
    variant_id: uuid.UUID
    requested: int
    available: int


@dataclass(frozen=True)
class OrderStatusChanged(Event):
    """An order moved to another status. `sequence` counts its changes, so followers can
    ignore one that arrives after a newer one."""

    name = "OrderStatusChanged"
    version = 1

    order_id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    checkout_id: uuid.UUID
    status: str
    previous_status: str | None
    sequence: int
    reason: str | None
    failed_lines: list[FailedLine]
    total: int
    currency: str | None
    changed_at: datetime


@dataclass(frozen=True)
class OrderCancelled(Event):
    """Cancelled by its customer or staff, or expired unpaid: its stock goes back."""

    name = "OrderCancelled"
    version = 1

    order_id: uuid.UUID
    customer_id: uuid.UUID
    reason: str
    # Nothing of it shipped: stock already committed by its payment goes back on hand.
    restock: bool = False


@dataclass(frozen=True)
class OrderFailed(Event):
    """The order could not be placed (stock, price change): anything held goes back."""

    name = "OrderFailed"
    version = 1

    order_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class FulfilledLine:
    product_name: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderLinesFulfilled(Event):
    """A seller shipped some of an order's lines."""

    name = "OrderLinesFulfilled"
    version = 1

    order_id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    seller_id: uuid.UUID
    tracking_number: str
    lines: list[FulfilledLine]


@dataclass(frozen=True)
class OrderDelivered(Event):
    """The order reached its customer: the products in it count as purchased."""

    name = "OrderDelivered"
    version = 1

    order_id: uuid.UUID
    customer_id: uuid.UUID
    product_ids: list[uuid.UUID]


PUBLISHED: tuple[type[Event], ...] = (
    OrderPlaced,
    OrderStatusChanged,
    OrderCancelled,
    OrderFailed,
    OrderLinesFulfilled,
    OrderDelivered,
)


# --------------------------------------------------------------------------- consumed


@dataclass(frozen=True)
class CheckoutLine:
    variant_id: uuid.UUID
    quantity: int
    expected_unit_price: int | None
    expected_currency: str | None


@dataclass(frozen=True)
class ShippingAddress:
    first_name: str
    last_name: str
    company: str
    street_address_1: str
    street_address_2: str
    city: str
    postal_code: str
    country_code: str
    country_area: str
    phone: str


@dataclass(frozen=True)
class CheckoutRequested(Event):
    name = "CheckoutRequested"
    version = 1

    checkout_id: uuid.UUID
    order_id: uuid.UUID
    customer_id: uuid.UUID
    idempotency_key: str
    lines: list[CheckoutLine]
    shipping_address: ShippingAddress


@dataclass(frozen=True)
class ReservedLine:
    variant_id: uuid.UUID
    product_id: uuid.UUID
    seller_id: uuid.UUID
    product_name: str
    sku: str
    unit_price: int
    currency: str
    quantity: int


@dataclass(frozen=True)
class StockReserved(Event):
    name = "StockReserved"
    version = 1

    order_id: uuid.UUID
    lines: list[ReservedLine]


@dataclass(frozen=True)
class ShortLine:
    variant_id: uuid.UUID
    requested: int
    available: int


@dataclass(frozen=True)
class StockReservationFailed(Event):
    name = "StockReservationFailed"
    version = 1

    order_id: uuid.UUID
    reason: str
    lines: list[ShortLine]


@dataclass(frozen=True)
class PaymentSucceeded(Event):
    name = "PaymentSucceeded"
    version = 1

    payment_id: uuid.UUID
    order_id: uuid.UUID
    amount: int
    currency: str


@dataclass(frozen=True)
class PaymentRefunded(Event):
    name = "PaymentRefunded"
    version = 1

    payment_id: uuid.UUID
    order_id: uuid.UUID
    amount: int
    currency: str
    fully_refunded: bool


@dataclass(frozen=True)
class PaymentRefundFailed(Event):
    name = "PaymentRefundFailed"
    version = 1

    payment_id: uuid.UUID
    order_id: uuid.UUID
    amount: int
    refunded_total: int
    currency: str
    reason: str


CONSUMED: tuple[type[Event], ...] = (
    CheckoutRequested,
    StockReserved,
    StockReservationFailed,
    PaymentSucceeded,
    PaymentRefunded,
    PaymentRefundFailed,
)


async def publish(session: AsyncSession, event: Event) -> None:
    await publish_event(session, EVENT_TABLES, event)
