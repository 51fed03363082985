"""orderCancel: the customer or staff cancels an order."""

from __future__ import annotations

import strawberry

from domains.orders.graphql.types import OrderPayload, OrdersInfo
from domains.orders.service import orders, parse_id


@strawberry.type
class OrderCancelPayload(OrderPayload):
    pass


async def order_cancel(info: OrdersInfo, id: strawberry.ID) -> OrderCancelPayload:
    viewer = info.context.viewer
    return await OrderCancelPayload.of_change(
        info, lambda session: orders.cancel(session, viewer, parse_id(id))
    )
