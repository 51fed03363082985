"""productUpdate: edit a product's name, slug, description, category or status."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import mutate
from domains.products.graphql.types import Product, ProductError, ProductsInfo, product_errors
from domains.products.models import ProductStatus
from domains.products.services.catalog import ProductFields, catalog
from domains.products.services.validation import UNCHANGED, parse_id


@strawberry.input(description="Fields left out are not changed.")
class ProductUpdateInput:
    name: str | None = None
    slug: str | None = None
    description: str | None = None
    category_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="null removes the product from its category."
    )
    status: ProductStatus | None = strawberry.field(
        default=None, description="ACTIVE needs at least one variant."
    )


@strawberry.type
class ProductUpdatePayload:
    product: Product | None = None
    errors: list[ProductError] = strawberry.field(default_factory=list)


async def product_update(
    info: ProductsInfo, id: strawberry.ID, input: ProductUpdateInput
) -> ProductUpdatePayload:
    fields = ProductFields(
        name=input.name,
        slug=input.slug,
        description=input.description,
        category_id=(
            UNCHANGED
            if input.category_id is strawberry.UNSET
            else None
            if input.category_id is None
            else str(input.category_id)
        ),
        status=None if input.status is None else input.status.value,
    )
    product = await mutate(
        info, lambda session: catalog.update(session, info.context.viewer, parse_id(id), fields)
    )
    if isinstance(product, InputErrors):
        return ProductUpdatePayload(errors=product_errors(product))
    return ProductUpdatePayload(product=Product.from_model(product))
