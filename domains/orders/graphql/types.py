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
from domains.orders.errors import OrderErrorCode
from domains.orders.graphql.loaders import OrderLoaders
from domains.orders.models import OrderStatus
from domains.orders.service import (
    OrdersOf,
    order_number,
    orders,
    parse_id,
    seller_of,
    visible_lines,
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


@strawberry.type(description="One line: the product as it was sold, and who ships it.")
class OrderLine:
    id: strawberry.ID
    product_name: str | None = strawberry.field(description="Null until stock is reserved.")
    sku: str | None
    unit_price: int | None = strawberry.field(description="Minor units, at reservation.")
    quantity: int
    line_total: int | None = strawberry.field(description="Unit price times quantity.")
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
            unit_price=line.unit_price,
            quantity=line.quantity,
            line_total=None if line.unit_price is None else line.unit_price * line.quantity,
            variant=ProductVariant(id=strawberry.ID(str(line.variant_id))),
            seller=None
            if line.seller_id is None
            else SellerProfile(id=strawberry.ID(str(line.seller_id))),
            fulfilled_at=line.fulfilled_at,
            tracking_number=line.tracking_number,
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
    status: OrderStatus
    currency: str | None = strawberry.field(description="ISO 4217; null until reserved.")
    subtotal: int = strawberry.field(description="Minor units: the lines' total.")
    shipping: int = strawberry.field(description="Minor units: a flat fee per seller.")
    tax: int = strawberry.field(description="Minor units.")
    total: int = strawberry.field(description="Minor units: subtotal + shipping + tax.")
    shipping_address: OrderAddress
    failure_reason: str | None = strawberry.field(
        description="Why it FAILED or was CANCELLED: INSUFFICIENT_STOCK, PRICE_CHANGED, "
        "VARIANT_UNAVAILABLE, CURRENCY_MISMATCH, CANCELLED, EXPIRED."
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
            shipping=model.shipping,
            tax=model.tax,
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
