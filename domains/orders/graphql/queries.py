from __future__ import annotations

from typing import Annotated

import strawberry

from domains.kit.db import read_session
from domains.kit.errors import PermissionDenied
from domains.kit.graphql.pagination import Connection, build_connection
from domains.kit.pagination import page_size
from domains.orders.graphql.types import (
    Order,
    OrdersInfo,
    decode_order_cursor,
    load_visible_order,
    order_cursor,
)
from domains.orders.repository import order_repository
from domains.orders.service import seller_of


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
        size = page_size(first)
        session_factory = info.context.resources.read_session_factory
        async with read_session(session_factory) as session:
            rows = await order_repository.page_for_seller(
                session, seller_id, limit=size + 1, after=decode_order_cursor(after)
            )

        async def count() -> int:
            async with read_session(session_factory) as session:
                return await order_repository.count_for_seller(session, seller_id)

        return build_connection(
            rows,
            first=size,
            to_node=Order.from_model,
            cursor_of=order_cursor,
            has_previous_page=after is not None,
            total_count=count,
        )
