"""cartLinesUpdate: change the quantities of a cart's lines."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.mutations.inputs import CartLineUpdateInput
from domains.carts.graphql.types import CartPayload, CartsInfo
from domains.carts.service import carts, parse_id


@strawberry.type
class CartLinesUpdatePayload(CartPayload):
    pass


async def cart_lines_update(
    info: CartsInfo, cart_id: strawberry.ID, lines: list[CartLineUpdateInput]
) -> CartLinesUpdatePayload:
    viewer = info.context.viewer
    return await CartLinesUpdatePayload.of_change(
        info,
        lambda session: carts.update_lines(
            session, viewer, parse_id(cart_id, "cartId"), [line.to_service() for line in lines]
        ),
    )
