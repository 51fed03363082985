"""cartLinesAdd: add variants to a cart."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.mutations.inputs import CartLineInput
from domains.carts.graphql.types import CartPayload, CartsInfo
from domains.carts.service import carts, parse_id


@strawberry.type
class CartLinesAddPayload(CartPayload):
    pass


async def cart_lines_add(
    info: CartsInfo, cart_id: strawberry.ID, lines: list[CartLineInput]
) -> CartLinesAddPayload:
    viewer = info.context.viewer
    return await CartLinesAddPayload.of_change(
        info,
        lambda session: carts.add_lines(
            session, viewer, parse_id(cart_id, "cartId"), [line.to_service() for line in lines]
        ),
    )
