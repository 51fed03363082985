"""cartMerge: fold a guest cart into the signed-in customer's cart."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.types import Cart, CartPayload, CartsInfo
from domains.carts.service import carts, parse_id


@strawberry.type
class CartMergePayload(CartPayload):
    cart: Cart | None = strawberry.field(default=None, description="The customer's cart.")


async def cart_merge(info: CartsInfo, guest_cart_id: strawberry.ID) -> CartMergePayload:
    viewer = info.context.viewer
    return await CartMergePayload.of_change(
        info, lambda session: carts.merge(session, viewer, parse_id(guest_cart_id, "guestCartId"))
    )
