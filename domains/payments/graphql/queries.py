"""The payments subgraph's root query fields."""

from __future__ import annotations

import strawberry

from domains.payments.graphql.types import Payment, PaymentsInfo, load_visible_payment


@strawberry.type
class Query:
    @strawberry.field(description="A payment: its order's customer, or staff.")
    async def payment(self, info: PaymentsInfo, id: strawberry.ID) -> Payment | None:
        return await load_visible_payment(info, id)
