"""orderMarkDelivered: staff records that a fulfilled order arrived."""

from __future__ import annotations

import strawberry

from domains.orders.graphql.types import OrderPayload, OrdersInfo
from domains.orders.service import orders, parse_id


@strawberry.type
class OrderMarkDeliveredPayload(OrderPayload):
    pass


async def order_mark_delivered(info: OrdersInfo, id: strawberry.ID) -> OrderMarkDeliveredPayload:
    viewer = info.context.viewer
    return await OrderMarkDeliveredPayload.of_change(
        info, lambda session: orders.mark_delivered(session, viewer, parse_id(id))
    )
