"""productArchive: stop selling a product."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import mutate
from domains.products.graphql.types import Product, ProductError, ProductsInfo, product_errors
from domains.products.services.catalog import catalog
from domains.products.services.validation import parse_id


@strawberry.type
class ProductArchivePayload:
    product: Product | None = None
    errors: list[ProductError] = strawberry.field(default_factory=list)


async def product_archive(info: ProductsInfo, id: strawberry.ID) -> ProductArchivePayload:
    product = await mutate(
        info, lambda session: catalog.archive(session, info.context.viewer, parse_id(id))
    )
    if isinstance(product, InputErrors):
        return ProductArchivePayload(errors=product_errors(product))
    return ProductArchivePayload(product=Product.from_model(product))
