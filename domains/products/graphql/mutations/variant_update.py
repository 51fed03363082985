"""variantUpdate: edit a variant's SKU, price, options or weight."""

from __future__ import annotations

import strawberry

from domains.products.graphql.mutations.inputs import MoneyInput, VariantOptionInput
from domains.products.graphql.payloads import VariantPayload
from domains.products.graphql.types import ProductsInfo
from domains.products.services.validation import UNCHANGED, parse_id
from domains.products.services.variants import VariantFields, variants


@strawberry.input(description="Fields left out are not changed. Stock: use inventoryAdjust.")
class VariantUpdateInput:
    sku: str | None = None
    price: MoneyInput | None = None
    compare_at_price: MoneyInput | None = strawberry.field(
        default=strawberry.UNSET, description="null removes it."
    )
    weight_grams: int | None = strawberry.field(
        default=strawberry.UNSET, description="null removes it."
    )
    options: list[VariantOptionInput] | None = strawberry.field(
        default=None, description="Replaces every option."
    )


@strawberry.type
class VariantUpdatePayload(VariantPayload):
    pass


async def variant_update(
    info: ProductsInfo, id: strawberry.ID, input: VariantUpdateInput
) -> VariantUpdatePayload:
    compare_at = input.compare_at_price
    weight = input.weight_grams
    fields = VariantFields(
        sku=input.sku,
        price=None if input.price is None else input.price.to_money(),
        compare_at_price=(
            UNCHANGED
            if compare_at is strawberry.UNSET
            else None
            if compare_at is None
            else compare_at.to_money()
        ),
        weight_grams=UNCHANGED if weight is strawberry.UNSET else weight,
        options=(
            None
            if input.options is None
            else [(option.name, option.value) for option in input.options]
        ),
    )
    return await VariantUpdatePayload.of_change(
        info, lambda session: variants.update(session, info.context.viewer, parse_id(id), fields)
    )
