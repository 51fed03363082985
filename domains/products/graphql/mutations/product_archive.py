"""productArchive: stop selling a product."""

from __future__ import annotations

import strawberry

from domains.products.graphql.payloads import ProductPayload
from domains.products.graphql.types import ProductsInfo
from domains.products.services.catalog import catalog
from domains.products.services.validation import parse_id


@strawberry.type
class ProductArchivePayload(ProductPayload):
    pass


async def product_archive(info: ProductsInfo, id: strawberry.ID) -> ProductArchivePayload:
    return await ProductArchivePayload.of_change(
        info, lambda session: catalog.archive(session, info.context.viewer, parse_id(id))
    )
