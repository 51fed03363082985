"""inventoryAdjust: change a variant's stock on hand, with a reason for the audit."""

from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import mutate
from domains.products.graphql.types import (
    ProductError,
    ProductsInfo,
    ProductVariant,
    product_errors,
)
from domains.products.models import AdjustmentReason
from domains.products.services.stock import inventory
from domains.products.services.validation import parse_id


@strawberry.input(description="A change of stock on hand, recorded in the audit trail.")
class InventoryAdjustInput:
    delta: int = strawberry.field(
        description="Units added (positive) or removed (negative); on hand never drops "
        "below what is reserved."
    )
    reason: AdjustmentReason
    note: str | None = strawberry.field(default=None, description="Up to 500 characters.")


@strawberry.type
class InventoryAdjustPayload:
    variant: ProductVariant | None = strawberry.field(
        default=None, description="The variant, with its stock after the change."
    )
    errors: list[ProductError] = strawberry.field(default_factory=list)


async def inventory_adjust(
    info: ProductsInfo, variant_id: strawberry.ID, input: InventoryAdjustInput
) -> InventoryAdjustPayload:
    async def adjust(session: AsyncSession) -> uuid.UUID:
        variant_key = parse_id(variant_id, "variantId")
        await inventory.adjust(
            session,
            info.context.viewer,
            variant_key,
            delta=input.delta,
            reason=input.reason.value,
            note=input.note,
        )
        return variant_key

    variant_key = await mutate(info, adjust)
    if isinstance(variant_key, InputErrors):
        return InventoryAdjustPayload(errors=product_errors(variant_key))
    model = await info.context.loaders.variant_by_id.load(variant_key)
    return InventoryAdjustPayload(
        variant=None if model is None else ProductVariant.from_model(model)
    )
