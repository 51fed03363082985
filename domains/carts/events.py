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
class AppliedDiscount:
    kind: str  # "PROMOTION" | "VOUCHER"
    name: str  # the promotion's name, or the voucher's
    code: str | None  # the voucher's code; None for a promotion
    amount: int  # this discount's total over the order


@dataclass(frozen=True)
class PricedParcel:
    seller_id: uuid.UUID
    method_id: uuid.UUID | None
    method_name: str
    price: int  # shipping charged for this parcel (after free-above)
    tax: int  # tax on that shipping (inside price when tax_included)
    min_days: int
    max_days: int


@dataclass(frozen=True)
class PricedLine:
    variant_id: uuid.UUID
    seller_id: uuid.UUID
    list_unit_price: int  # before any promotion
    unit_price: int  # after the promotion: what products must reserve at
    quantity: int
    discount: int  # promotion and voucher discounts on this line
    shipping: int  # this line's share of its parcel's shipping
    tax: int  # tax on the line's goods and on its shipping share
    total: int  # what refunding this line gives back


@dataclass(frozen=True)
class CheckoutPricing:
    """What the order is placed at, every amount in minor units of `currency`.

    total = subtotal - discount + shipping + (0 if tax_included else tax), and each of
    discount, shipping, tax and total is exactly the sum of the lines' own.
    """

    currency: str
    tax_included: bool  # prices already contain the tax (EU style)
    subtotal: int  # sum of list_unit_price * quantity
    discount: int  # sum of the discounts
    shipping: int  # sum of the parcels' price
    tax: int  # sum of the lines' tax
    total: int  # what payments charges
    discounts: list[AppliedDiscount]
    parcels: list[PricedParcel]
    lines: list[PricedLine]
    voucher_codes: list[str]


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
    # The breakdown the customer agreed to; None only from a producer older than pricing
    # (orders then prices as before: flat shipping per seller, no tax).
    pricing: CheckoutPricing | None = None


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
    price_amount: int  # what it sells for now, after the best active promotion
    currency: str
    changed_at: datetime
    product_id: uuid.UUID | None = None
    seller_id: uuid.UUID | None = None
    list_price_amount: int | None = None  # before any promotion; None: price_amount
    promotion_name: str | None = None
    category_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class StockLevelChanged(Event):
    name = "StockLevelChanged"
    version = 1

    variant_id: uuid.UUID
    available: int
    changed_at: datetime
    order_id: uuid.UUID | None = None


@dataclass(frozen=True)
class LoadedOffer:
    variant_id: uuid.UUID
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
