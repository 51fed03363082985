"""cartVoucherApply: apply a voucher code to an open cart."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.types import CartPayload, CartsInfo
from domains.carts.pricing.vouchers import service as vouchers
from domains.carts.service import parse_id


@strawberry.type
class CartVoucherApplyPayload(CartPayload):
    pass


async def cart_voucher_apply(
    info: CartsInfo, cart_id: strawberry.ID, code: str
) -> CartVoucherApplyPayload:
    viewer = info.context.viewer
    return await CartVoucherApplyPayload.of_change(
        info, lambda session: vouchers.apply(session, viewer, parse_id(cart_id, "cartId"), code)
    )
