"""reviewDelete: its author or staff remove a review."""

from __future__ import annotations

import strawberry

from domains.products.graphql.payloads import ReviewPayload
from domains.products.graphql.types import ProductsInfo, Review
from domains.products.services.reviews import reviews
from domains.products.services.validation import parse_id


@strawberry.type
class ReviewDeletePayload(ReviewPayload):
    review: Review | None = strawberry.field(default=None, description="The deleted review.")


async def review_delete(info: ProductsInfo, id: strawberry.ID) -> ReviewDeletePayload:
    return await ReviewDeletePayload.of_change(
        info, lambda session: reviews.delete(session, info.context.viewer, parse_id(id))
    )
