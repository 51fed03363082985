from __future__ import annotations

import strawberry

from domains.carts.graphql.types import Cart, CartError, CartsInfo, cart_errors
from domains.carts.service import carts, parse_id
from domains.kit.errors import InputErrors


@strawberry.type
class CartLinesRemovePayload:
    cart: Cart | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


async def cart_lines_remove(
    info: CartsInfo, cart_id: strawberry.ID, line_ids: list[strawberry.ID]
) -> CartLinesRemovePayload:
    try:
        async with info.context.transaction() as session:
            cart = await carts.remove_lines(
                session,
                info.context.viewer,
                parse_id(cart_id, "cartId"),
                [str(line_id) for line_id in line_ids],
            )
    except InputErrors as error:
        return CartLinesRemovePayload(errors=cart_errors(error))
    return CartLinesRemovePayload(cart=Cart.from_model(cart))
