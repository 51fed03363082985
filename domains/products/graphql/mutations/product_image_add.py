"""productImageAdd: attach an uploaded image to a product."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import mutate
from domains.products.graphql.types import (
    ProductError,
    ProductImage,
    ProductsInfo,
    product_errors,
)
from domains.products.services.images import images
from domains.products.services.validation import parse_id


@strawberry.input(description="An image already uploaded to the media store.")
class ProductImageAddInput:
    url: str = strawberry.field(
        description="Its path in the media store (products/<id>/front.jpg), or its URL "
        "under the media base."
    )
    alt_text: str | None = strawberry.field(
        default=None, description="What the image shows, for screen readers."
    )
    position: int | None = strawberry.field(
        default=None, description="0 makes it the main image; left out, it goes last."
    )


@strawberry.type
class ProductImageAddPayload:
    image: ProductImage | None = None
    errors: list[ProductError] = strawberry.field(default_factory=list)


async def product_image_add(
    info: ProductsInfo, product_id: strawberry.ID, input: ProductImageAddInput
) -> ProductImageAddPayload:
    image = await mutate(
        info,
        lambda session: images.add(
            session,
            info.context.viewer,
            parse_id(product_id, "productId"),
            url=input.url,
            alt_text=input.alt_text,
            position=input.position,
        ),
    )
    if isinstance(image, InputErrors):
        return ProductImageAddPayload(errors=product_errors(image))
    return ProductImageAddPayload(image=ProductImage.from_model(image))
