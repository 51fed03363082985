"""productUpdate: edit a product's name, slug, description, category or status."""

from __future__ import annotations

import strawberry

from domains.products.graphql.payloads import ProductPayload
from domains.products.graphql.types import ProductsInfo
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
class ProductUpdatePayload(ProductPayload):
    pass


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
    return await ProductUpdatePayload.of_change(
        info, lambda session: catalog.update(session, info.context.viewer, parse_id(id), fields)
    )
