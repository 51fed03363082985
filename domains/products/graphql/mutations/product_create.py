"""productCreate: a new product, as a DRAFT."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import mutate
from domains.products.graphql.types import Product, ProductError, ProductsInfo, product_errors
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
class ProductCreatePayload:
    product: Product | None = None
    errors: list[ProductError] = strawberry.field(default_factory=list)


async def product_create(info: ProductsInfo, input: ProductCreateInput) -> ProductCreatePayload:
    fields = ProductFields(
        name=input.name,
        slug=input.slug,
        description=input.description,
        category_id=None if input.category_id is None else str(input.category_id),
        seller_id=None if input.seller_id is None else str(input.seller_id),
    )
    product = await mutate(
        info, lambda session: catalog.create(session, info.context.viewer, fields)
    )
    if isinstance(product, InputErrors):
        return ProductCreatePayload(errors=product_errors(product))
    return ProductCreatePayload(product=Product.from_model(product))
