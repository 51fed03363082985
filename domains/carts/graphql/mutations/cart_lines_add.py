from __future__ import annotations

import strawberry

from domains.carts.graphql.mutations.inputs import CartLineInput
from domains.carts.graphql.types import Cart, CartError, CartsInfo, cart_errors
from domains.carts.service import carts, parse_id
from domains.kit.errors import InputErrors


@strawberry.type
class CartLinesAddPayload:
    cart: Cart | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


async def cart_lines_add(
    info: CartsInfo, cart_id: strawberry.ID, lines: list[CartLineInput]
) -> CartLinesAddPayload:
    try:
        async with info.context.transaction() as session:
            cart = await carts.add_lines(
                session,
                info.context.viewer,
                parse_id(cart_id, "cartId"),
                [line.to_service() for line in lines],
            )
    except InputErrors as error:
        return CartLinesAddPayload(errors=cart_errors(error))
    return CartLinesAddPayload(cart=Cart.from_model(cart))
