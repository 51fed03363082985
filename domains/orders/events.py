"""Events of the orders domain: what it publishes, and how it reads what it consumes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
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
    """An order was created PENDING: its stock is to be reserved until payment_due_at.

    Written by earlier versions only: products now reserves from CheckoutRequested, in
    parallel with the placing. It stays in the contract while products still reads it,
    for orders placed across an upgrade.
    """

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
    # The method the seller's parcel ships with, as chosen at checkout ("" for orders
    # placed before checkout chose one).
    shipping_method: str = ""


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
class AppliedDiscount:
    kind: str  # "PROMOTION" | "VOUCHER"
    name: str  # the promotion's name, or the voucher's
    code: str | None  # the voucher code; None for a promotion
    amount: int  # this discount's total over the order


@dataclass(frozen=True)
class PricedParcel:
    seller_id: uuid.UUID
    method_id: uuid.UUID | None
    method_name: str
    price: int  # shipping charged for this parcel (after free-above)
    tax: int  # tax on that shipping (included in price when tax_included)
    min_days: int
    max_days: int


@dataclass(frozen=True)
class PricedLine:
    variant_id: uuid.UUID
    seller_id: uuid.UUID
    list_unit_price: int  # before promotion
    unit_price: int  # after promotion: what products must reserve at
    quantity: int
    discount: int  # promotion and voucher discounts on this line
    shipping: int  # this line's share of its parcel's shipping
    tax: int  # tax on the line's goods and on its shipping share
    total: int  # what refunding this line gives back


@dataclass(frozen=True)
class CheckoutPricing:
    """The quote the customer checked out at (carts' pricing engine); the invariants
    are checked again here before it is stored (domains/orders/breakdown.py)."""

    currency: str
    tax_included: bool  # prices already contain tax (EU style)
    subtotal: int  # sum of list_unit_price * quantity
    discount: int  # sum of discounts
    shipping: int  # sum of parcels' price
    tax: int  # sum of lines' tax
    total: int  # what payments charges
    discounts: list[AppliedDiscount]
    parcels: list[PricedParcel]
    lines: list[PricedLine]
    voucher_codes: list[str]


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
    # None only from a producer older than pricing: the order is then priced by the flat
    # fallback (domains/orders/pricing.py) once its stock is reserved.
    pricing: CheckoutPricing | None = None


@dataclass(frozen=True)
class ReservedLine:
    variant_id: uuid.UUID
    product_id: uuid.UUID
    seller_id: uuid.UUID
    product_name: str
    sku: str
    unit_price: int  # the promoted price at reservation
    currency: str
    quantity: int
    list_unit_price: int | None = None  # before any promotion; None from old producers
    promotion_name: str | None = None
    category_ids: list[uuid.UUID] = field(default_factory=list)


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
