"""cartVoucherRemove: take a voucher code off an open cart."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.types import CartPayload, CartsInfo
from domains.carts.pricing.vouchers import service as vouchers
from domains.carts.service import parse_id


@strawberry.type
class CartVoucherRemovePayload(CartPayload):
    pass


async def cart_voucher_remove(
    info: CartsInfo, cart_id: strawberry.ID, code: str
) -> CartVoucherRemovePayload:
    viewer = info.context.viewer
    return await CartVoucherRemovePayload.of_change(
        info, lambda session: vouchers.remove(session, viewer, parse_id(cart_id, "cartId"), code)
    )
