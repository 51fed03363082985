"""voucherEnd: end a voucher now."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.types import CartsInfo
from domains.carts.graphql.vouchers.types import VoucherPayload
from domains.carts.pricing.vouchers.definitions import definitions
from domains.carts.service import parse_id


@strawberry.type
class VoucherEndPayload(VoucherPayload):
    pass


async def voucher_end(info: CartsInfo, id: strawberry.ID) -> VoucherEndPayload:
    viewer = info.context.viewer
    return await VoucherEndPayload.of_change(
        info, lambda session: definitions.end(session, viewer, parse_id(id))
    )
