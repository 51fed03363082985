"""productCreate: a new product, as a DRAFT."""

from __future__ import annotations

import strawberry

from domains.products.graphql.payloads import ProductPayload
from domains.products.graphql.types import ProductsInfo
from domains.products.services.catalog import ProductFields, catalog


@strawberry.input(description="A new product; it starts as a DRAFT.")
class ProductCreateInput:
    name: str
    slug: str | None = strawberry.field(
        default=None, description="Derived from the name when left out."
    )
    description: str | None = None
    category_id: strawberry.ID | None = None
    seller_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The seller profile it belongs to: required for staff, defaults to the "
        "caller's own shop for sellers.",
    )


@strawberry.type
class ProductCreatePayload(ProductPayload):
    pass


async def product_create(info: ProductsInfo, input: ProductCreateInput) -> ProductCreatePayload:
    fields = ProductFields(
        name=input.name,
        slug=input.slug,
        description=input.description,
        category_id=None if input.category_id is None else str(input.category_id),
        seller_id=None if input.seller_id is None else str(input.seller_id),
    )
    return await ProductCreatePayload.of_change(
        info, lambda session: catalog.create(session, info.context.viewer, fields)
    )
