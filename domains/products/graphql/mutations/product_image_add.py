"""productImageAdd: attach an uploaded image to a product."""

from __future__ import annotations

import strawberry

from domains.products.graphql.payloads import ProductImagePayload
from domains.products.graphql.types import ProductsInfo
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
class ProductImageAddPayload(ProductImagePayload):
    pass


async def product_image_add(
    info: ProductsInfo, product_id: strawberry.ID, input: ProductImageAddInput
) -> ProductImageAddPayload:
    return await ProductImageAddPayload.of_change(
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
