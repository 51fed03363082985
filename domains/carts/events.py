"""Events of the carts domain: what it publishes, and how it reads what it consumes.

Published events are the contract (their JSON Schemas are committed under
schema/events/); consumed ones are read with this domain's own dataclasses, holding only
the fields it needs (a test checks them against the producer's committed schema).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.models import EVENT_TABLES
from domains.kit.events import Event
from domains.kit.events import publish as publish_event


@dataclass(frozen=True)
class CheckoutLine:
    variant_id: uuid.UUID
    quantity: int
    # What carts last heard the variant cost: the order fails with PRICE_CHANGED when
    # the reservation's price differs. Null when carts has not heard of the variant.
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
    """A customer asked to turn their cart into an order (checkoutComplete)."""

    name = "CheckoutRequested"
    version = 1

    checkout_id: uuid.UUID
    order_id: uuid.UUID
    customer_id: uuid.UUID
    cart_id: uuid.UUID
    idempotency_key: str
    lines: list[CheckoutLine]
    shipping_address: ShippingAddress
    requested_at: datetime


PUBLISHED: tuple[type[Event], ...] = (CheckoutRequested,)


# --------------------------------------------------------------------------- consumed


@dataclass(frozen=True)
class FailedLine:
    variant_id: uuid.UUID
    requested: int
    available: int


@dataclass(frozen=True)
class OrderStatusChanged(Event):
    name = "OrderStatusChanged"
    version = 1

    order_id: uuid.UUID
    status: str
    sequence: int
    reason: str | None = None
    failed_lines: list[FailedLine] = field(default_factory=list)


@dataclass(frozen=True)
class VariantPriceChanged(Event):
    name = "VariantPriceChanged"
    version = 1

    variant_id: uuid.UUID
    price_amount: int
    currency: str
    changed_at: datetime


@dataclass(frozen=True)
class StockLevelChanged(Event):
    name = "StockLevelChanged"
    version = 1

    variant_id: uuid.UUID
    available: int
    changed_at: datetime


@dataclass(frozen=True)
class LoadedOffer:
    variant_id: uuid.UUID
    price_amount: int
    currency: str
    available: int


@dataclass(frozen=True)
class VariantOffersLoaded(Event):
    name = "VariantOffersLoaded"
    version = 1

    offers: list[LoadedOffer]
    loaded_at: datetime


CONSUMED: tuple[type[Event], ...] = (
    OrderStatusChanged,
    VariantPriceChanged,
    StockLevelChanged,
    VariantOffersLoaded,
)


async def publish(session: AsyncSession, event: Event) -> None:
    await publish_event(session, EVENT_TABLES, event)
