"""The orders subgraph's root query fields."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domains.kit.errors import PermissionDenied
from domains.kit.graphql.pagination import Connection
from domains.orders.graphql.types import (
    Order,
    OrdersInfo,
    load_visible_order,
    order_connection,
)
from domains.orders.service import OrdersOf, seller_of


@strawberry.type
class Query:
    @strawberry.field(
        description="An order: its customer, staff, or a seller of one of its lines (who "
        "sees only their lines)."
    )
    async def order(self, info: OrdersInfo, id: strawberry.ID) -> Order | None:
        return await load_visible_order(info, id)

    @strawberry.field(description="Orders with lines of the signed-in seller's shop, newest first.")
    async def seller_orders(
        self,
        info: OrdersInfo,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = 20,
        after: str | None = None,
    ) -> Connection[Order]:
        viewer = info.context.viewer
        viewer.require_user()
        seller_id = seller_of(viewer)
        if seller_id is None:
            raise PermissionDenied("Only sellers have seller orders.")
        return await order_connection(info, OrdersOf(seller_id=seller_id), first, after)
