"""cartLinesRemove: take lines out of a cart."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.types import CartPayload, CartsInfo
from domains.carts.service import carts, parse_id


@strawberry.type
class CartLinesRemovePayload(CartPayload):
    pass


async def cart_lines_remove(
    info: CartsInfo, cart_id: strawberry.ID, line_ids: list[strawberry.ID]
) -> CartLinesRemovePayload:
    viewer = info.context.viewer
    return await CartLinesRemovePayload.of_change(
        info,
        lambda session: carts.remove_lines(
            session, viewer, parse_id(cart_id, "cartId"), [str(line_id) for line_id in line_ids]
        ),
    )
