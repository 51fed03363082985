"""voucherCreate: staff create a voucher for the platform (or a seller); a seller, one on
their own lines."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domains.carts.graphql.types import CartsInfo
from domains.carts.graphql.vouchers.types import VoucherKind, VoucherPayload, VoucherScopeChoice
from domains.carts.pricing.vouchers.definitions import VoucherInput, definitions


@strawberry.input(description="A new voucher. Amounts are minor units; rates basis points.")
class VoucherCreateInput:
    code: str = strawberry.field(description="3 to 32 letters, digits, '-' or '_'; any case.")
    name: str
    kind: VoucherKind
    value: int = strawberry.field(
        description="PERCENTAGE: 1 to 10000 basis points. FIXED: minor units, at least 1."
    )
    scope: VoucherScopeChoice
    seller_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Staff: the seller funding it (its lines only); null for the platform. "
        "A seller's voucher is always their own.",
    )
    category_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="CATEGORIES scope: at most 100."
    )
    product_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="PRODUCTS scope: at most 100."
    )
    min_subtotal: int = strawberry.field(default=0, description="0: no minimum.")
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217; required for FIXED and for a minimum."
    )
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = strawberry.field(default=None, description="null: unlimited.")
    per_customer_limit: int | None = strawberry.field(default=None, description="null: unlimited.")
    combinable: bool = strawberry.field(
        default=False, description="Combines with other vouchers and reaches promoted lines."
    )

    def to_service(self) -> VoucherInput:
        return VoucherInput(
            code=self.code,
            name=self.name,
            kind=self.kind.to_engine(),
            value=self.value,
            scope=self.scope.to_engine(),
            seller_id=None if self.seller_id is None else str(self.seller_id),
            category_ids=[str(id) for id in self.category_ids],
            product_ids=[str(id) for id in self.product_ids],
            min_subtotal=self.min_subtotal,
            currency=self.currency,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            usage_limit=self.usage_limit,
            per_customer_limit=self.per_customer_limit,
            combinable=self.combinable,
        )


@strawberry.type
class VoucherCreatePayload(VoucherPayload):
    pass


async def voucher_create(info: CartsInfo, input: VoucherCreateInput) -> VoucherCreatePayload:
    viewer = info.context.viewer
    raw = input.to_service()
    return await VoucherCreatePayload.of_change(
        info, lambda session: definitions.create(session, viewer, raw)
    )
