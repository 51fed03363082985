"""Reviews: writing and deleting them, the product ratings they add up to, and the
events they publish."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Role, Viewer
from domains.kit.cache import mark_stale
from domains.kit.errors import InputErrors, PermissionDenied
from domains.products import cache as keys
from domains.products import events
from domains.products.models import ProductRating, ProductStatus, Review
from domains.products.repositories.catalog import product_repository
from domains.products.repositories.reviews import rating_repository, review_repository
from domains.products.repositories.sellers import seller_repository
from domains.products.services.pages import NewestPages
from domains.products.services.validation import Code, Errors, clean_text, now_utc, refuse_duplicate

MAX_REVIEW_TITLE_LENGTH = 200
MAX_REVIEW_BODY_LENGTH = 5_000


class ReviewService:
    async def create(
        self,
        session: AsyncSession,
        viewer: Viewer,
        product_id: uuid.UUID,
        *,
        rating: int,
        title: str,
        body: str | None,
    ) -> Review:
        author_id = viewer.require_user()
        if Role.CUSTOMER not in viewer.roles:
            raise PermissionDenied("Only customer accounts can write reviews.")
        errors = Errors()
        if not (1 <= rating <= 5):
            errors.add("rating", Code.INVALID_RATING, f"A rating is 1 to 5 stars (got {rating}).")
        clean_title = errors.check(
            lambda: clean_text(title, "title", max_length=MAX_REVIEW_TITLE_LENGTH)
        )
        clean_body = errors.check(
            lambda: clean_text(
                body or "", "body", max_length=MAX_REVIEW_BODY_LENGTH, required=False
            )
        )
        errors.raise_if_any()

        found = await product_repository.get_by_ids(session, [product_id])
        product = found[0] if found else None
        if product is None or product.status == ProductStatus.DRAFT.value:
            raise InputErrors.single("productId", Code.NOT_FOUND, "No such product.")
        if product.status == ProductStatus.ARCHIVED.value:
            raise InputErrors.single(
                "productId", Code.CANNOT_REVIEW, "This product is no longer sold."
            )
        if product.seller_id in await seller_repository.ids_for_user(session, author_id):
            raise InputErrors.single(
                "productId", Code.CANNOT_REVIEW, "Sellers cannot review their own products."
            )
        if await review_repository.exists_for(session, product.id, author_id):
            raise _already_reviewed()
        review = Review(
            product_id=product.id,
            author_id=author_id,
            rating=rating,
            title=clean_title,
            body=clean_body or "",
            verified_purchase=await review_repository.has_purchased(session, author_id, product.id),
        )
        async with refuse_duplicate(
            session,
            "productId",
            Code.ALREADY_REVIEWED,
            lambda: _ALREADY_REVIEWED,
        ):
            await review_repository.add(session, review)
        await rating_repository.add_review(session, product.id, rating)
        await events.publish(
            session,
            events.ReviewPublished(
                review_id=review.id,
                product_id=product.id,
                author_id=author_id,
                rating=rating,
                verified_purchase=review.verified_purchase,
                published_at=now_utc(),
            ),
        )
        _mark_stale(session, review)
        return review

    async def delete(self, session: AsyncSession, viewer: Viewer, review_id: uuid.UUID) -> Review:
        user_id = viewer.require_user()
        review = await review_repository.get_for_update(session, review_id)
        if review is None:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such review.")
        if review.author_id != user_id and not viewer.is_staff:
            raise PermissionDenied("Only the review's author or staff can delete it.")
        await review_repository.delete(session, review.id)
        await rating_repository.remove_review(session, review.product_id, review.rating)
        await events.publish(
            session,
            events.ReviewRemoved(
                review_id=review.id,
                product_id=review.product_id,
                rating=review.rating,
                removed_at=now_utc(),
            ),
        )
        _mark_stale(session, review)
        return review

    # Reads of the GraphQL loaders.

    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Review]:
        return await review_repository.get_by_ids(session, ids)

    async def newest_by_authors(
        self, session: AsyncSession, author_ids: Sequence[uuid.UUID], *, limit: int
    ) -> Sequence[Review]:
        return await review_repository.newest_by_authors(session, author_ids, limit=limit)

    # Pages of products' reviews, newest first: one per (product id, size, cursor).
    newest_pages = NewestPages(review_repository.page_by_products, lambda row: row.product_id)

    async def ratings_of(
        self, session: AsyncSession, product_ids: Sequence[uuid.UUID]
    ) -> Sequence[ProductRating]:
        return await rating_repository.get_by_product_ids(session, product_ids)


def _mark_stale(session: AsyncSession, review: Review) -> None:
    """A review written or deleted: it, its product's rating, its author's list and
    every listing (rating sorts and facets) went stale."""
    mark_stale(
        session,
        keys.review(review.id),
        keys.rating(review.product_id),
        keys.reviews_by_author(review.author_id),
        keys.SEARCH_GENERATION,
    )


_ALREADY_REVIEWED = "You have already reviewed this product."


def _already_reviewed() -> InputErrors:
    return InputErrors.single("productId", Code.ALREADY_REVIEWED, _ALREADY_REVIEWED)


reviews = ReviewService()
