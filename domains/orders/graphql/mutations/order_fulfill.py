from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.orders.graphql.types import Order, OrderError, OrdersInfo, order_errors
from domains.orders.service import orders, parse_id


@strawberry.type
class OrderFulfillPayload:
    order: Order | None = None
    errors: list[OrderError] = strawberry.field(default_factory=list)


async def order_fulfill(
    info: OrdersInfo, order_id: strawberry.ID, line_ids: list[strawberry.ID], tracking_number: str
) -> OrderFulfillPayload:
    try:
        async with info.context.transaction() as session:
            order = await orders.fulfil(
                session,
                info.context.viewer,
                parse_id(order_id, "orderId"),
                [str(line_id) for line_id in line_ids],
                tracking_number,
            )
    except InputErrors as error:
        return OrderFulfillPayload(errors=order_errors(error))
    return OrderFulfillPayload(order=Order.from_model(order))
