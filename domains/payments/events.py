"""Events of the payments domain: what it publishes, and how it reads what it consumes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.events import Event
from domains.kit.events import publish as publish_event
from domains.payments.models import EVENT_TABLES


@dataclass(frozen=True)
class PaymentSucceeded(Event):
    """The order's money was captured, for exactly the order's amount and currency."""

    name = "PaymentSucceeded"
    version = 1

    payment_id: uuid.UUID
    order_id: uuid.UUID
    provider: str
    amount: int
    currency: str


@dataclass(frozen=True)
class PaymentFailed(Event):
    """An attempt to pay was declined; the shopper may try again until the order expires."""

    name = "PaymentFailed"
    version = 1

    payment_id: uuid.UUID
    order_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class PaymentRefunded(Event):
    """Money went back: `amount` now, `refunded_total` of `captured_amount` so far."""

    name = "PaymentRefunded"
    version = 1

    payment_id: uuid.UUID
    order_id: uuid.UUID
    amount: int
    refunded_total: int
    captured_amount: int
    currency: str
    fully_refunded: bool


@dataclass(frozen=True)
class PaymentRefundFailed(Event):
    """A refund announced by PaymentRefunded failed later at the provider: its `amount`
    did not go back, and `refunded_total` of `captured_amount` is what has."""

    name = "PaymentRefundFailed"
    version = 1

    payment_id: uuid.UUID
    order_id: uuid.UUID
    amount: int
    refunded_total: int
    captured_amount: int
    currency: str
    reason: str


@dataclass(frozen=True)
class PaymentStatusChanged(Event):
    """A payment's status was set: every change (PROCESSING and CANCELLED included), and
    a decline repeated. `previous_status` is what it was before."""

    name = "PaymentStatusChanged"
    version = 1

    payment_id: uuid.UUID
    order_id: uuid.UUID
    customer_id: uuid.UUID
    status: str
    previous_status: str
    changed_at: datetime


PUBLISHED: tuple[type[Event], ...] = (
    PaymentSucceeded,
    PaymentFailed,
    PaymentRefunded,
    PaymentRefundFailed,
    PaymentStatusChanged,
)


# --------------------------------------------------------------------------- consumed


@dataclass(frozen=True)
class OrderStatusChanged(Event):
    name = "OrderStatusChanged"
    version = 1

    order_id: uuid.UUID
    customer_id: uuid.UUID
    status: str
    sequence: int
    total: int
    currency: str | None
    changed_at: datetime


CONSUMED: tuple[type[Event], ...] = (OrderStatusChanged,)


async def publish(session: AsyncSession, event: Event) -> None:
    await publish_event(session, EVENT_TABLES, event)
