from __future__ import annotations

import strawberry

from domains.carts.graphql.types import Cart, CartError, CartsInfo, cart_errors
from domains.carts.service import carts, parse_id
from domains.kit.errors import InputErrors


@strawberry.type
class CartMergePayload:
    cart: Cart | None = strawberry.field(default=None, description="The customer's cart.")
    errors: list[CartError] = strawberry.field(default_factory=list)


async def cart_merge(info: CartsInfo, guest_cart_id: strawberry.ID) -> CartMergePayload:
    try:
        async with info.context.transaction() as session:
            cart = await carts.merge(
                session, info.context.viewer, parse_id(guest_cart_id, "guestCartId")
            )
    except InputErrors as error:
        return CartMergePayload(errors=cart_errors(error))
    return CartMergePayload(cart=Cart.from_model(cart))
