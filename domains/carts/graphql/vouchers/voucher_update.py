"""voucherUpdate: change a voucher's terms (not its code or owner)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from domains.carts.graphql.types import CartsInfo
from domains.carts.graphql.vouchers.types import VoucherKind, VoucherPayload, VoucherScopeChoice
from domains.carts.pricing.vouchers.definitions import definitions
from domains.carts.service import parse_id

_NULL_CLEARS = "null clears it."


@strawberry.input(description="Fields left out are not changed; the voucher is checked whole.")
class VoucherUpdateInput:
    name: str | None = None
    kind: VoucherKind | None = None
    value: int | None = None
    scope: VoucherScopeChoice | None = None
    category_ids: list[strawberry.ID] | None = None
    product_ids: list[strawberry.ID] | None = None
    min_subtotal: int | None = None
    currency: str | None = strawberry.field(default=strawberry.UNSET, description=_NULL_CLEARS)
    starts_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description=_NULL_CLEARS
    )
    ends_at: datetime | None = strawberry.field(default=strawberry.UNSET, description=_NULL_CLEARS)
    usage_limit: int | None = strawberry.field(
        default=strawberry.UNSET, description="null: unlimited."
    )
    per_customer_limit: int | None = strawberry.field(
        default=strawberry.UNSET, description="null: unlimited."
    )
    combinable: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The fields given, by the service's names; enums as the engine's."""
        given: dict[str, Any] = {}
        for name in (
            "name",
            "value",
            "min_subtotal",
            "combinable",
            "currency",
            "starts_at",
            "ends_at",
            "usage_limit",
            "per_customer_limit",
        ):
            value = getattr(self, name)
            # Left out (UNSET), or null for a field that cannot be cleared: unchanged.
            if value is strawberry.UNSET or (value is None and name in _NOT_NULL):
                continue
            given[name] = value
        if self.kind is not None:
            given["kind"] = self.kind.to_engine()
        if self.scope is not None:
            given["scope"] = self.scope.to_engine()
        if self.category_ids is not None:
            given["category_ids"] = [str(id) for id in self.category_ids]
        if self.product_ids is not None:
            given["product_ids"] = [str(id) for id in self.product_ids]
        return given


_NOT_NULL = frozenset({"name", "value", "min_subtotal", "combinable"})


@strawberry.type
class VoucherUpdatePayload(VoucherPayload):
    pass


async def voucher_update(
    info: CartsInfo, id: strawberry.ID, input: VoucherUpdateInput
) -> VoucherUpdatePayload:
    viewer = info.context.viewer
    changes = input.changes()
    return await VoucherUpdatePayload.of_change(
        info, lambda session: definitions.update(session, viewer, parse_id(id), changes)
    )
