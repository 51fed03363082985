from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.orders.graphql.types import Order, OrderError, OrdersInfo, order_errors
from domains.orders.service import orders, parse_id


@strawberry.type
class OrderCancelPayload:
    order: Order | None = None
    errors: list[OrderError] = strawberry.field(default_factory=list)


async def order_cancel(info: OrdersInfo, id: strawberry.ID) -> OrderCancelPayload:
    try:
        async with info.context.transaction() as session:
            order = await orders.cancel(session, info.context.viewer, parse_id(id))
    except InputErrors as error:
        return OrderCancelPayload(errors=order_errors(error))
    return OrderCancelPayload(order=Order.from_model(order))
