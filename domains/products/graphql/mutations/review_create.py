"""reviewCreate: a customer reviews a product, once."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import mutate
from domains.products.graphql.types import ProductError, ProductsInfo, Review, product_errors
from domains.products.services.reviews import reviews
from domains.products.services.validation import parse_id


@strawberry.input(description="One review per customer per product.")
class ReviewCreateInput:
    rating: int = strawberry.field(description="1 to 5 stars.")
    title: str = strawberry.field(description="Up to 200 characters.")
    body: str | None = strawberry.field(default=None, description="Up to 5000 characters.")


@strawberry.type
class ReviewCreatePayload:
    review: Review | None = None
    errors: list[ProductError] = strawberry.field(default_factory=list)


async def review_create(
    info: ProductsInfo, product_id: strawberry.ID, input: ReviewCreateInput
) -> ReviewCreatePayload:
    review = await mutate(
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
    if isinstance(review, InputErrors):
        return ReviewCreatePayload(errors=product_errors(review))
    return ReviewCreatePayload(review=Review.from_model(review))
