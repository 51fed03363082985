from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.orders.graphql.types import Order, OrderError, OrdersInfo, order_errors
from domains.orders.service import orders, parse_id


@strawberry.type
class OrderMarkDeliveredPayload:
    order: Order | None = None
    errors: list[OrderError] = strawberry.field(default_factory=list)


async def order_mark_delivered(info: OrdersInfo, id: strawberry.ID) -> OrderMarkDeliveredPayload:
    try:
        async with info.context.transaction() as session:
            order = await orders.mark_delivered(session, info.context.viewer, parse_id(id))
    except InputErrors as error:
        return OrderMarkDeliveredPayload(errors=order_errors(error))
    return OrderMarkDeliveredPayload(order=Order.from_model(order))
