"""SQL of reviews, the ratings they add up to, and the purchases that verify them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, literal, select, update
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import get_for_update
from domains.products.models import Product, ProductRating, Purchase, Review
from domains.products.repositories.sql import newest_per_owner, rows_where_in


class RatingRepository:
    async def get_by_product_ids(
        self, session: AsyncSession, product_ids: Sequence[uuid.UUID]
    ) -> Sequence[ProductRating]:
        return await rows_where_in(session, ProductRating, ProductRating.product_id, product_ids)

    async def add_review(self, session: AsyncSession, product_id: uuid.UUID, rating: int) -> None:
        """Count a review in, atomically: concurrent reviews cannot lose an update."""
        statement = insert(ProductRating).values(
            product_id=product_id, review_count=1, rating_total=rating
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[ProductRating.product_id],
                set_={
                    "review_count": ProductRating.review_count + 1,
                    "rating_total": ProductRating.rating_total + statement.excluded.rating_total,
                },
            )
        )

    async def remove_review(
        self, session: AsyncSession, product_id: uuid.UUID, rating: int
    ) -> None:
        await session.execute(
            update(ProductRating)
            .where(ProductRating.product_id == product_id)
            .values(
                review_count=ProductRating.review_count - 1,
                rating_total=ProductRating.rating_total - rating,
            )
        )


class ReviewRepository:
    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Review]:
        return await rows_where_in(session, Review, Review.id, ids)

    async def get_for_update(self, session: AsyncSession, review_id: uuid.UUID) -> Review | None:
        return await get_for_update(session, Review, review_id)

    async def exists_for(
        self, session: AsyncSession, product_id: uuid.UUID, author_id: uuid.UUID
    ) -> bool:
        found = await session.scalar(
            select(Review.id).where(Review.product_id == product_id, Review.author_id == author_id)
        )
        return found is not None

    async def add(self, session: AsyncSession, review: Review) -> None:
        session.add(review)
        await session.flush()

    async def delete(self, session: AsyncSession, review_id: uuid.UUID) -> None:
        await session.execute(delete(Review).where(Review.id == review_id))

    async def record_purchases(
        self, session: AsyncSession, customer_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
    ) -> None:
        """Remember delivered products (those still in the catalog), once each."""
        if not product_ids:
            return
        await session.execute(
            insert(Purchase)
            .from_select(
                ["customer_id", "product_id"],
                select(literal(customer_id, PG_UUID(as_uuid=True)), Product.id).where(
                    Product.id.in_(product_ids)
                ),
            )
            .on_conflict_do_nothing()
        )

    async def has_purchased(
        self, session: AsyncSession, customer_id: uuid.UUID, product_id: uuid.UUID
    ) -> bool:
        found = await session.scalar(
            select(Purchase.product_id).where(
                Purchase.customer_id == customer_id, Purchase.product_id == product_id
            )
        )
        return found is not None

    async def mark_verified_purchases(
        self, session: AsyncSession, author_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
    ) -> int:
        if not product_ids:
            return 0
        result = await session.execute(
            update(Review)
            .where(
                Review.author_id == author_id,
                Review.product_id.in_(product_ids),
                Review.verified_purchase.is_(False),
            )
            .values(verified_purchase=True)
            .returning(Review.id)
        )
        return len(result.all())

    async def newest_by_authors(
        self, session: AsyncSession, author_ids: Sequence[uuid.UUID], *, limit: int
    ) -> Sequence[Review]:
        """Each author's newest `limit` reviews, in one statement."""
        return await self._newest(session, Review.author_id, author_ids, limit=limit, after=None)

    async def page_by_products(
        self,
        session: AsyncSession,
        product_ids: Sequence[uuid.UUID],
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[Review]:
        """Each product's newest `limit` reviews after the cursor, in one statement."""
        return await self._newest(session, Review.product_id, product_ids, limit=limit, after=after)

    async def _newest(
        self,
        session: AsyncSession,
        owner: Any,
        owner_ids: Sequence[uuid.UUID],
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[Review]:
        return await newest_per_owner(
            session, Review, owner, owner_ids, columns=[Review], limit=limit, after=after
        )


rating_repository = RatingRepository()
review_repository = ReviewRepository()
