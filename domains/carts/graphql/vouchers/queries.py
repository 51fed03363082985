"""The `vouchers` root query: the vouchers the viewer manages."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domains.carts.graphql.types import CartsInfo
from domains.carts.graphql.vouchers.types import Voucher, voucher_connection
from domains.kit.graphql.pagination import Connection


@strawberry.type
class VoucherQuery:
    @strawberry.field(
        description="Vouchers, newest first: every one for staff, their own for a seller."
    )
    async def vouchers(
        self,
        info: CartsInfo,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = 20,
        after: str | None = None,
    ) -> Connection[Voucher]:
        return await voucher_connection(info, first, after)
