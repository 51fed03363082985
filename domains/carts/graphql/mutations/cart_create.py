"""cartCreate: open a cart, for a guest or the signed-in customer."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.mutations.inputs import CartLineInput
from domains.carts.graphql.types import CartPayload, CartsInfo
from domains.carts.service import carts


@strawberry.type
class CartCreatePayload(CartPayload):
    pass


async def cart_create(
    info: CartsInfo, lines: list[CartLineInput] | None = None
) -> CartCreatePayload:
    viewer = info.context.viewer
    return await CartCreatePayload.of_change(
        info,
        lambda session: carts.create(session, viewer, [line.to_service() for line in lines or []]),
    )
