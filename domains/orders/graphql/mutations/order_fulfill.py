"""orderFulfill: a seller ships lines of an order."""

from __future__ import annotations

import strawberry

from domains.orders.graphql.types import OrderPayload, OrdersInfo
from domains.orders.service import orders, parse_id


@strawberry.type
class OrderFulfillPayload(OrderPayload):
    pass


async def order_fulfill(
    info: OrdersInfo, order_id: strawberry.ID, line_ids: list[strawberry.ID], tracking_number: str
) -> OrderFulfillPayload:
    viewer = info.context.viewer
    return await OrderFulfillPayload.of_change(
        info,
        lambda session: orders.fulfil(
            session,
            viewer,
            parse_id(order_id, "orderId"),
            [str(line_id) for line_id in line_ids],
            tracking_number,
        ),
    )
