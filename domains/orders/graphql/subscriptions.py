"""The orders subgraph's subscription fields: an order's status, a seller's new orders.

The events say when; the row says what. Each event is answered with the order as the
database holds it (on the primary: a replica may not have the commit yet), through fresh
dataloaders, so its fields match what a query answers; only `status` is the one the event
announced, should the order have moved on before its event was read (`_as_announced`). Events
reach the stream only after their transaction commits (domains/kit/events/live.py), so
nothing is announced that a rollback undid.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import strawberry

from domains.kit.db import read_session
from domains.kit.errors import InputErrors, PermissionDenied, quoted
from domains.kit.events import decode_event
from domains.kit.events.live import LiveEntry, live
from domains.orders import events
from domains.orders.graphql.types import Order, OrdersInfo
from domains.orders.models import OrderStatus
from domains.orders.service import orders, parse_id, seller_of


def _fresh(info: OrdersInfo) -> None:
    """Forget what the last event read, and read the primary from now on."""
    info.context.read_primary()


async def _current(info: OrdersInfo, order_id: uuid.UUID) -> Order | None:
    _fresh(info)
    model = await info.context.loaders.order_by_id.load(order_id)
    return None if model is None else Order.from_model(model)


async def _as_announced(info: OrdersInfo, change: events.OrderStatusChanged) -> Order | None:
    """The order as read now, with the status `change` announced: when the row has moved
    on since (changes committed while the relay was down arrive together), each answer
    still tells its own step, in order, and none is lost."""
    order = await _current(info, change.order_id)
    if order is not None and order._model.status_sequence != change.sequence:
        order.status = OrderStatus(change.status)
    return order


def _status_change(entry: LiveEntry) -> events.OrderStatusChanged:
    return decode_event(events.OrderStatusChanged, entry.payload)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The order each time its status changes, in the order the changes were "
        "committed, with the status that change made (the rest as the order is now): its "
        "customer, staff, or a seller of one of its lines."
    )
    async def order_status_changed(
        self, info: OrdersInfo, order_id: strawberry.ID
    ) -> AsyncGenerator[Order, None]:
        viewer = info.context.viewer
        viewer.require_user()
        refusal = f"No order {quoted(order_id)} that you may follow."
        try:
            wanted = parse_id(order_id, "orderId")
        except InputErrors:
            raise PermissionDenied(refusal) from None
        async with read_session(info.context.resources.session_factory) as session:
            # The same rule as the `order` query: an order one may not see is refused
            # exactly as an unknown id is, so that ids cannot be confirmed by probing.
            if await orders.get_visible(session, viewer, wanted) is None:
                raise PermissionDenied(refusal)
        async with live(
            info.context.resources,
            [events.OrderStatusChanged.name],
            match=("order_id", str(wanted)),
        ) as entries:
            async for entry in entries:
                order = await _as_announced(info, _status_change(entry))
                if order is not None:
                    yield order

    @strawberry.subscription(
        description="The signed-in seller's orders as they are placed: once stock is "
        "reserved for them (AWAITING_PAYMENT), when their lines, prices and total are known."
    )
    async def seller_order_created(self, info: OrdersInfo) -> AsyncGenerator[Order, None]:
        # An order reaches the seller with its stock reservation: before it (PENDING) the
        # order does not know which shops its lines belong to, and an order whose
        # reservation fails never becomes one of theirs. PENDING -> AWAITING_PAYMENT is the
        # one change each order makes once, with its sellers known.
        viewer = info.context.viewer
        viewer.require_user()
        seller_id = seller_of(viewer)
        if seller_id is None:
            raise PermissionDenied("Only sellers have seller orders.")
        async with live(info.context.resources, [events.OrderStatusChanged.name]) as entries:
            async for entry in entries:
                change = _status_change(entry)
                if (change.previous_status, change.status) != (
                    OrderStatus.PENDING.value,
                    OrderStatus.AWAITING_PAYMENT.value,
                ):
                    continue
                async with read_session(info.context.resources.session_factory) as session:
                    ours = await orders.has_line_of(session, change.order_id, seller_id)
                if not ours:
                    continue
                order = await _current(info, change.order_id)
                if order is not None:
                    yield order
