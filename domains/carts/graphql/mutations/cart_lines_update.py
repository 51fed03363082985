from __future__ import annotations

import strawberry

from domains.carts.graphql.mutations.inputs import CartLineUpdateInput
from domains.carts.graphql.types import Cart, CartError, CartsInfo, cart_errors
from domains.carts.service import carts, parse_id
from domains.kit.errors import InputErrors


@strawberry.type
class CartLinesUpdatePayload:
    cart: Cart | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


async def cart_lines_update(
    info: CartsInfo, cart_id: strawberry.ID, lines: list[CartLineUpdateInput]
) -> CartLinesUpdatePayload:
    try:
        async with info.context.transaction() as session:
            cart = await carts.update_lines(
                session,
                info.context.viewer,
                parse_id(cart_id, "cartId"),
                [line.to_service() for line in lines],
            )
    except InputErrors as error:
        return CartLinesUpdatePayload(errors=cart_errors(error))
    return CartLinesUpdatePayload(cart=Cart.from_model(cart))
