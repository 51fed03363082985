"""productImageRemove: take an image off its product."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import mutate
from domains.products.graphql.types import (
    Product,
    ProductError,
    ProductImage,
    ProductsInfo,
    product_errors,
    visible_product,
)
from domains.products.services.images import images
from domains.products.services.validation import parse_id


@strawberry.type
class ProductImageRemovePayload:
    image: ProductImage | None = strawberry.field(default=None, description="The removed image.")
    product: Product | None = strawberry.field(
        default=None, description="The product, with its remaining images."
    )
    errors: list[ProductError] = strawberry.field(default_factory=list)


async def product_image_remove(info: ProductsInfo, id: strawberry.ID) -> ProductImageRemovePayload:
    image = await mutate(
        info, lambda session: images.remove(session, info.context.viewer, parse_id(id))
    )
    if isinstance(image, InputErrors):
        return ProductImageRemovePayload(errors=product_errors(image))
    product = await info.context.loaders.product_by_id.load(image.product_id)
    return ProductImageRemovePayload(
        image=ProductImage.from_model(image), product=await visible_product(info, product)
    )
