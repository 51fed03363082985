from __future__ import annotations

import strawberry

from domains.carts.graphql.mutations.inputs import CartLineInput
from domains.carts.graphql.types import Cart, CartError, CartsInfo, cart_errors
from domains.carts.service import carts
from domains.kit.errors import InputErrors


@strawberry.type
class CartCreatePayload:
    cart: Cart | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


async def cart_create(
    info: CartsInfo, lines: list[CartLineInput] | None = None
) -> CartCreatePayload:
    try:
        async with info.context.transaction() as session:
            cart = await carts.create(
                session, info.context.viewer, [line.to_service() for line in lines or []]
            )
    except InputErrors as error:
        return CartCreatePayload(errors=cart_errors(error))
    return CartCreatePayload(cart=Cart.from_model(cart))
