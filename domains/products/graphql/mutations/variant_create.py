"""variantCreate: add a variant (SKU, price, options, first stock) to a product."""

from __future__ import annotations

import strawberry

from domains.products.graphql.mutations.inputs import MoneyInput, VariantOptionInput
from domains.products.graphql.payloads import VariantPayload
from domains.products.graphql.types import ProductsInfo
from domains.products.services.validation import parse_id
from domains.products.services.variants import VariantFields, variants


@strawberry.input(description="A new variant of a product.")
class VariantCreateInput:
    sku: str = strawberry.field(description="Unique; stored upper case.")
    price: MoneyInput
    compare_at_price: MoneyInput | None = strawberry.field(
        default=None, description="Must be above the price, in the same currency."
    )
    weight_grams: int | None = None
    options: list[VariantOptionInput] = strawberry.field(
        default_factory=list, description="Unique among the product's variants."
    )
    stock: int | None = strawberry.field(
        default=None, description="Units on hand to start with (audited as RECEIVED)."
    )


@strawberry.type
class VariantCreatePayload(VariantPayload):
    pass


async def variant_create(
    info: ProductsInfo, product_id: strawberry.ID, input: VariantCreateInput
) -> VariantCreatePayload:
    fields = VariantFields(
        sku=input.sku,
        price=input.price.to_money(),
        compare_at_price=None
        if input.compare_at_price is None
        else input.compare_at_price.to_money(),
        weight_grams=input.weight_grams,
        options=[(option.name, option.value) for option in input.options],
        stock=input.stock,
    )
    return await VariantCreatePayload.of_change(
        info,
        lambda session: variants.create(
            session, info.context.viewer, parse_id(product_id, "productId"), fields
        ),
    )
