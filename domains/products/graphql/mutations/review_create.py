"""reviewCreate: a customer reviews a product, once."""

from __future__ import annotations

import strawberry

from domains.products.graphql.payloads import ReviewPayload
from domains.products.graphql.types import ProductsInfo
from domains.products.services.reviews import reviews
from domains.products.services.validation import parse_id


@strawberry.input(description="One review per customer per product.")
class ReviewCreateInput:
    rating: int = strawberry.field(description="1 to 5 stars.")
    title: str = strawberry.field(description="Up to 200 characters.")
    body: str | None = strawberry.field(default=None, description="Up to 5000 characters.")


@strawberry.type
class ReviewCreatePayload(ReviewPayload):
    pass


async def review_create(
    info: ProductsInfo, product_id: strawberry.ID, input: ReviewCreateInput
) -> ReviewCreatePayload:
    return await ReviewCreatePayload.of_change(
        info,
        lambda session: reviews.create(
            session,
            info.context.viewer,
            parse_id(product_id, "productId"),
            rating=input.rating,
            title=input.title,
            body=input.body,
        ),
    )
