"""reviewDelete: its author or staff remove a review."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import mutate
from domains.products.graphql.types import ProductError, ProductsInfo, Review, product_errors
from domains.products.services.reviews import reviews
from domains.products.services.validation import parse_id


@strawberry.type
class ReviewDeletePayload:
    review: Review | None = strawberry.field(default=None, description="The deleted review.")
    errors: list[ProductError] = strawberry.field(default_factory=list)


async def review_delete(info: ProductsInfo, id: strawberry.ID) -> ReviewDeletePayload:
    review = await mutate(
        info, lambda session: reviews.delete(session, info.context.viewer, parse_id(id))
    )
    if isinstance(review, InputErrors):
        return ReviewDeletePayload(errors=product_errors(review))
    return ReviewDeletePayload(review=Review.from_model(review))
