"""GraphQL types of the orders subgraph."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry.types import Info

from domains.kit.db import read_session
from domains.kit.errors import InputErrors, uuid_or_none
from domains.kit.graphql.context import RequestContext
from domains.kit.graphql.entities import EntityStub
from domains.kit.graphql.errors import payload_errors
from domains.kit.graphql.pagination import Connection, build_connection
from domains.kit.graphql.payloads import ChangePayload
from domains.kit.pagination import decode_cursor, encode_cursor, page_size
from domains.orders import models
from domains.orders.announcements import order_number
from domains.orders.errors import OrderErrorCode
from domains.orders.graphql.loaders import OrderLoaders
from domains.orders.models import DiscountKind, OrderStatus
from domains.orders.service import (
    OrdersOf,
    orders,
    parse_id,
    seller_of,
    visible_lines,
    visible_parcels,
)

OrdersInfo: TypeAlias = Info[RequestContext[OrderLoaders], None]

strawberry.enum(
    OrderErrorCode, name="OrderErrorCode", description="Why an orders mutation refused."
)
strawberry.enum(
    OrderStatus,
    name="OrderStatus",
    description="PENDING -> AWAITING_PAYMENT -> PAID -> FULFILLED -> DELIVERED; FAILED when "
    "stock or prices did not hold; CANCELLED; REFUNDED and PARTIALLY_REFUNDED.",
)

strawberry.enum(
    DiscountKind,
    name="OrderDiscountKind",
    description="PROMOTION: a catalogue promotion; VOUCHER: a code applied at checkout.",
)


@strawberry.type(description="A problem with an orders mutation's input.")
class OrderError:
    field: str | None
    code: OrderErrorCode
    message: str


def order_errors(error: InputErrors) -> list[OrderError]:
    return payload_errors(error, OrderError, OrderErrorCode)


@strawberry.federation.type(keys=["id"])
class User(EntityStub):
    @strawberry.field(description="The account's orders, newest first: the account or staff.")
    async def orders(
        self,
        info: OrdersInfo,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = 20,
        after: str | None = None,
    ) -> Connection[Order]:
        user_id = parse_id(self.id)
        info.context.viewer.require_self_or_staff(user_id)
        return await order_connection(info, OrdersOf(customer_id=user_id), first, after)


@strawberry.federation.type(keys=["id"])
class SellerProfile(EntityStub):
    pass


@strawberry.federation.type(keys=["id"])
class ProductVariant(EntityStub):
    pass


def order_cursor(order: models.Order) -> str:
    return encode_cursor("Order", [order.created_at.isoformat(), str(order.id)])


def decode_order_cursor(after: str | None) -> tuple[datetime, uuid.UUID] | None:
    if after is None:
        return None
    created_at, order_id = decode_cursor("Order", after, arity=2)
    return datetime.fromisoformat(created_at), uuid.UUID(order_id)


async def order_connection(
    info: OrdersInfo, whose: OrdersOf, first: int | None, after: str | None
) -> Connection[Order]:
    """A page of `whose` orders, newest first, from read sessions; the count runs only
    when `totalCount` is selected."""
    size = page_size(first)
    session_factory = info.context.resources.read_session_factory
    async with read_session(session_factory) as session:
        rows = await orders.page(session, whose, limit=size + 1, after=decode_order_cursor(after))

    async def total() -> int:
        async with read_session(session_factory) as session:
            return await orders.count(session, whose)

    return build_connection(
        rows,
        first=size,
        to_node=Order.from_model,
        cursor_of=order_cursor,
        has_previous_page=after is not None,
        total_count=total,
    )


@strawberry.type(description="Where the order goes, as it was given at checkout.")
class OrderAddress:
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


@strawberry.type(
    description="One line: the product as it was sold, who ships it, and its share of the "
    "order's price. Amounts are minor units of the order's currency."
)
class OrderLine:
    id: strawberry.ID
    product_name: str | None = strawberry.field(description="Null until stock is reserved.")
    sku: str | None
    list_unit_price: int | None = strawberry.field(
        description="Before promotions; null until the order is priced."
    )
    unit_price: int | None = strawberry.field(
        description="After promotions: as checked out (or, for an order priced by the flat "
        "fee, as reserved); null until then."
    )
    quantity: int
    line_total: int | None = strawberry.field(description="Unit price times quantity.")
    discount: int | None = strawberry.field(
        description="The promotion and voucher discounts on this line."
    )
    shipping: int | None = strawberry.field(description="This line's share of its parcel.")
    tax: int | None = strawberry.field(
        description="Tax on the line's goods and shipping share (inside them when the "
        "order's taxIncluded)."
    )
    total: int | None = strawberry.field(
        description="What refunding this line gives back: list price times quantity, less "
        "its discount, plus its shipping, plus its tax unless included."
    )
    variant: ProductVariant
    seller: SellerProfile | None
    fulfilled_at: datetime | None
    tracking_number: str | None

    @classmethod
    def from_model(cls, line: models.OrderLine) -> OrderLine:
        return cls(
            id=strawberry.ID(str(line.id)),
            product_name=line.product_name,
            sku=line.sku,
            list_unit_price=line.list_unit_price,
            unit_price=line.unit_price,
            quantity=line.quantity,
            line_total=None if line.unit_price is None else line.unit_price * line.quantity,
            discount=line.discount,
            shipping=line.shipping,
            tax=line.tax,
            total=line.total,
            variant=ProductVariant(id=strawberry.ID(str(line.variant_id))),
            seller=None
            if line.seller_id is None
            else SellerProfile(id=strawberry.ID(str(line.seller_id))),
            fulfilled_at=line.fulfilled_at,
            tracking_number=line.tracking_number,
        )


@strawberry.type(description="A discount the order was placed with.")
class OrderDiscount:
    kind: DiscountKind
    name: str = strawberry.field(description="The promotion's or the voucher's name.")
    code: str | None = strawberry.field(description="The voucher code; null for a promotion.")
    amount: int = strawberry.field(description="Minor units: this discount over the order.")

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> OrderDiscount:
        return cls(
            kind=DiscountKind(stored["kind"]),
            name=str(stored["name"]),
            code=stored.get("code"),
            amount=int(stored["amount"]),
        )


@strawberry.type(description="The delivery time promised at checkout, in days.")
class OrderDeliveryEstimate:
    min_days: int
    max_days: int


@strawberry.type(
    description="What one seller ships: the method chosen at checkout, its price and "
    "estimate, and when it left."
)
class OrderParcel:
    seller: SellerProfile
    method_name: str
    price: int = strawberry.field(
        description="Minor units: the shipping charged (its tax inside when the order's "
        "taxIncluded)."
    )
    tax: int = strawberry.field(description="Minor units: the tax on this shipping.")
    estimate: OrderDeliveryEstimate | None = strawberry.field(
        description="Null when none was promised (orders priced by the flat fee)."
    )
    lines: list[OrderLine] = strawberry.field(
        description="Its lines that you may see; empty until stock is reserved."
    )
    shipped_at: datetime | None = strawberry.field(
        description="When the last of the seller's lines was fulfilled."
    )
    tracking_number: str | None = strawberry.field(
        description="The tracking number of the shipment that completed the parcel."
    )

    @classmethod
    def from_model(cls, parcel: models.OrderParcel, lines: list[OrderLine]) -> OrderParcel:
        estimate = None
        if parcel.min_days is not None and parcel.max_days is not None:
            estimate = OrderDeliveryEstimate(min_days=parcel.min_days, max_days=parcel.max_days)
        return cls(
            seller=SellerProfile(id=strawberry.ID(str(parcel.seller_id))),
            method_name=parcel.method_name,
            price=parcel.price,
            tax=parcel.tax,
            estimate=estimate,
            lines=lines,
            shipped_at=parcel.shipped_at,
            tracking_number=parcel.tracking_number,
        )


@strawberry.type(description="The lines one seller ships.")
class SellerGroup:
    seller: SellerProfile
    lines: list[OrderLine]


@strawberry.type(description="When the order entered a status.")
class OrderStatusEvent:
    status: OrderStatus
    at: datetime
    note: str


@strawberry.federation.type(keys=["id"], description="An order placed by checkoutComplete.")
class Order:
    id: strawberry.ID
    number: str = strawberry.field(description="Human-readable, such as SG-001042.")
    # Shareable: carts provides it (and failureReason) on the order checkoutComplete
    # answers with, the decision it has just heard, sparing the answer a fetch here.
    status: OrderStatus = strawberry.federation.field(shareable=True)
    currency: str | None = strawberry.field(
        description="ISO 4217: the checkout's; null until reserved for an order whose "
        "checkout priced nothing."
    )
    subtotal: int = strawberry.field(
        description="Minor units: the lines at their list prices, before any discount."
    )
    discount: int = strawberry.field(description="Minor units: every discount together.")
    discounts: list[OrderDiscount] = strawberry.field(
        description="Each discount by name: promotions and vouchers."
    )
    shipping: int = strawberry.field(description="Minor units: the parcels' shipping.")
    tax: int = strawberry.field(
        description="Minor units: inside the prices when taxIncluded, added otherwise."
    )
    tax_included: bool = strawberry.field(
        description="Prices contain their tax (EU style): the total does not add it again."
    )
    total: int = strawberry.field(
        description="Minor units: subtotal - discount + shipping, + tax unless taxIncluded. "
        "What payments charges; the lines' totals add up to it."
    )
    shipping_address: OrderAddress
    failure_reason: str | None = strawberry.federation.field(
        shareable=True,
        description="Why it FAILED or was CANCELLED: INSUFFICIENT_STOCK, PRICE_CHANGED, "
        "PRICING_INVALID, VARIANT_UNAVAILABLE, CURRENCY_MISMATCH, CANCELLED, EXPIRED.",
    )
    payment_due_at: datetime = strawberry.field(
        description="Unpaid by then, the order expires and its stock goes back."
    )
    created_at: datetime
    customer: User
    _model: strawberry.Private[models.Order]

    @classmethod
    def from_model(cls, model: models.Order) -> Order:
        address: dict[str, Any] = model.shipping_address
        return cls(
            id=strawberry.ID(str(model.id)),
            number=order_number(model),
            status=OrderStatus(model.status),
            currency=model.currency,
            subtotal=model.subtotal,
            discount=model.discount,
            discounts=[OrderDiscount.from_stored(stored) for stored in model.discounts],
            shipping=model.shipping,
            tax=model.tax,
            tax_included=model.tax_included,
            total=model.total,
            shipping_address=OrderAddress(**address),
            failure_reason=model.failure_reason,
            payment_due_at=model.payment_due_at,
            created_at=model.created_at,
            customer=User(id=strawberry.ID(str(model.customer_id))),
            _model=model,
        )

    @classmethod
    async def resolve_reference(cls, info: OrdersInfo, id: strawberry.ID) -> Order | None:
        return await load_visible_order(info, id)

    @strawberry.field(description="Every line for its customer and staff; a seller's own only.")
    async def lines(self, info: OrdersInfo) -> list[OrderLine]:
        rows = await info.context.loaders.lines_by_order_id.load(self._model.id)
        return [
            OrderLine.from_model(row)
            for row in visible_lines(info.context.viewer, self._model, rows)
        ]

    @strawberry.field(description="The visible lines grouped by the seller who ships them.")
    async def seller_groups(self, info: OrdersInfo) -> list[SellerGroup]:
        rows = await info.context.loaders.lines_by_order_id.load(self._model.id)
        groups: dict[uuid.UUID, list[OrderLine]] = {}
        for row in visible_lines(info.context.viewer, self._model, rows):
            if row.seller_id is not None:
                groups.setdefault(row.seller_id, []).append(OrderLine.from_model(row))
        return [
            SellerGroup(seller=SellerProfile(id=strawberry.ID(str(seller))), lines=lines)
            for seller, lines in groups.items()
        ]

    @strawberry.field(
        description="One per seller, in the order of their first line: everyone the whole "
        "order; a seller, their own."
    )
    async def parcels(self, info: OrdersInfo) -> list[OrderParcel]:
        loaders = info.context.loaders
        rows = await loaders.lines_by_order_id.load(self._model.id)
        stored = await loaders.parcels_by_order_id.load(self._model.id)
        lines = visible_lines(info.context.viewer, self._model, rows)
        first_line: dict[uuid.UUID | None, int] = {}
        for line in reversed(lines):
            first_line[line.seller_id] = line.position
        shown = sorted(
            visible_parcels(info.context.viewer, self._model, stored),
            key=lambda parcel: first_line.get(parcel.seller_id, len(rows)),
        )
        return [
            OrderParcel.from_model(
                parcel,
                [
                    OrderLine.from_model(line)
                    for line in lines
                    if line.seller_id == parcel.seller_id
                ],
            )
            for parcel in shown
        ]

    @strawberry.field(description="Every status the order entered, oldest first.")
    async def status_history(self, info: OrdersInfo) -> list[OrderStatusEvent]:
        rows = await info.context.loaders.history_by_order_id.load(self._model.id)
        return [
            OrderStatusEvent(status=OrderStatus(row.status), at=row.created_at, note=row.note)
            for row in rows
        ]


@strawberry.type
class OrderPayload(ChangePayload, node=Order.from_model, errors=order_errors):
    """What a mutation that changes one order answers: the order, or why not."""

    order: Order | None = None
    errors: list[OrderError] = strawberry.field(default_factory=list)


async def load_visible_order(info: OrdersInfo, raw_id: str) -> Order | None:
    """Its customer, staff, or a seller of one of its lines; anyone else: null, as for an
    unknown id, so that ids cannot be confirmed by probing. Signing in comes first, for
    every id alike."""
    viewer = info.context.viewer
    user_id = viewer.require_user()
    order_id = uuid_or_none(raw_id)
    if order_id is None:
        return None
    model = await info.context.loaders.order_by_id.load(order_id)
    if model is None:
        return None
    if user_id != model.customer_id and not viewer.is_staff:
        seller_id = seller_of(viewer)
        lines = await info.context.loaders.lines_by_order_id.load(model.id)
        if seller_id is None or not any(line.seller_id == seller_id for line in lines):
            return None
    return Order.from_model(model)


OrderConnection = Connection[Order]
