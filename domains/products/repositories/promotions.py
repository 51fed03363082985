"""SQL of promotions: the rows, the open set every price is read from, the variants a
promotion reaches, categories' lineages, and the boundaries the sweeper announces."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, literal_column, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domains.kit.db import all_rows, get_for_update
from domains.products.models import (
    SCHEMA,
    Category,
    Product,
    Promotion,
    PromotionAnnouncement,
    Variant,
)
from domains.products.repositories.sql import rows_where_in

# Every category at or below the promotion's own, for the open set's row: a correlated
# recursive subquery, so the whole set (few rows) is one statement.
_COVERED_CATEGORIES: ColumnElement[Any] = literal_column(
    f"""ARRAY(
        WITH RECURSIVE below(id) AS (
            SELECT unnest({SCHEMA}.promotions.category_ids)
            UNION
            SELECT child.id FROM {SCHEMA}.categories child
            JOIN below ON child.parent_id = below.id
        )
        SELECT id FROM below
    )"""  # noqa: S608 - our own names only
)


@dataclass(frozen=True)
class Scope:
    """The products a promotion reaches (see models.Promotion)."""

    seller_id: uuid.UUID | None
    category_ids: Sequence[uuid.UUID]
    product_ids: Sequence[uuid.UUID]

    @classmethod
    def of(cls, promotion: Promotion) -> Scope:
        return cls(promotion.seller_id, list(promotion.category_ids), list(promotion.product_ids))


def _in_scope(scope: Scope, index: int) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if scope.seller_id is not None:
        conditions.append(Product.seller_id == scope.seller_id)
    reach: list[ColumnElement[bool]] = []
    if scope.product_ids:
        reach.append(Product.id.in_(list(scope.product_ids)))
    if scope.category_ids:
        subtree = (
            select(Category.id)
            .where(Category.id.in_(list(scope.category_ids)))
            .cte(f"scope_{index}", recursive=True)
        )
        subtree = subtree.union(select(Category.id).where(Category.parent_id == subtree.c.id))
        reach.append(Product.category_id.in_(select(subtree.c.id)))
    if reach:
        conditions.append(or_(*reach))
    return and_(true(), *conditions)


def _live_at(now: datetime) -> ColumnElement[bool]:
    return and_(
        Promotion.starts_at <= now,
        Promotion.ended_at.is_(None),
        or_(Promotion.ends_at.is_(None), Promotion.ends_at > now),
    )


class PromotionRepository:
    async def add(self, session: AsyncSession, promotion: Promotion) -> None:
        session.add(promotion)
        await session.flush()

    async def get_for_update(
        self, session: AsyncSession, promotion_id: uuid.UUID
    ) -> Promotion | None:
        return await get_for_update(session, Promotion, promotion_id)

    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Promotion]:
        return await rows_where_in(session, Promotion, Promotion.id, ids)

    async def open_with_coverage(
        self, session: AsyncSession, now: datetime
    ) -> list[tuple[Promotion, list[uuid.UUID]]]:
        """Promotions live now or still to come, each with the categories it covers."""
        statement = (
            select(Promotion, _COVERED_CATEGORIES.label("covered"))
            .where(
                Promotion.ended_at.is_(None),
                or_(Promotion.ends_at.is_(None), Promotion.ends_at > now),
            )
            .order_by(Promotion.starts_at, Promotion.id)
        )
        rows = (await session.execute(statement)).all()
        return [(row[0], list(row[1] or [])) for row in rows]

    async def page(
        self,
        session: AsyncSession,
        *,
        seller_ids: frozenset[uuid.UUID] | None,
        active: bool | None,
        now: datetime,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[Promotion]:
        """Newest first; `seller_ids` None: every promotion, else those sellers' own."""
        statement = select(Promotion)
        if seller_ids is not None:
            statement = statement.where(
                Promotion.seller_id.in_(sorted(seller_ids)) if seller_ids else false()
            )
        if active is True:
            statement = statement.where(_live_at(now))
        elif active is False:
            statement = statement.where(~_live_at(now))
        if after is not None:
            statement = statement.where(tuple_(Promotion.created_at, Promotion.id) < tuple_(*after))
        statement = statement.order_by(Promotion.created_at.desc(), Promotion.id.desc())
        return await all_rows(session, statement.limit(limit))

    async def variants_in_scopes(
        self, session: AsyncSession, scopes: Sequence[Scope]
    ) -> list[tuple[Variant, Product]]:
        """Every variant of every product any of the scopes reaches, with its product.

        FOR SHARE: a variant edit in flight (it holds its rows FOR UPDATE) commits first
        and is read as committed, so the announced price has its new list price; an edit
        coming after waits for this write and then prices with the promotion.
        """
        if not scopes:
            return []
        statement = (
            select(Variant, Product)
            .join(Product, Product.id == Variant.product_id)
            .where(or_(*(_in_scope(scope, index) for index, scope in enumerate(scopes))))
            .order_by(Product.id, Variant.position, Variant.id)
            .with_for_update(read=True)
        )
        rows = (await session.execute(statement)).all()
        return [(row[0], row[1]) for row in rows]

    async def lineages(
        self, session: AsyncSession, category_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        """Each category with every category above it, nearest first."""
        if not category_ids:
            return {}
        up = (
            select(
                Category.id.label("category_id"),
                Category.id.label("ancestor_id"),
                Category.parent_id.label("parent_id"),
                literal_column("0").label("depth"),
            )
            .where(Category.id.in_(sorted(set(category_ids))))
            .cte("up", recursive=True)
        )
        parent = aliased(Category)
        up = up.union_all(
            select(
                up.c.category_id,
                parent.id,
                parent.parent_id,
                (up.c.depth + 1).label("depth"),
            ).join(parent, parent.id == up.c.parent_id)
        )
        rows = (
            await session.execute(
                select(up.c.category_id, up.c.ancestor_id).order_by(up.c.category_id, up.c.depth)
            )
        ).all()
        lineages: dict[uuid.UUID, list[uuid.UUID]] = {}
        for category_id, ancestor_id in rows:
            lineages.setdefault(category_id, []).append(ancestor_id)
        return lineages

    async def due_boundaries(
        self, session: AsyncSession, now: datetime, *, limit: int
    ) -> list[uuid.UUID]:
        """Promotions that started or ended by `now` without that being announced."""
        over = or_(Promotion.ended_at <= now, Promotion.ends_at <= now)
        statement = (
            select(Promotion.id)
            .where(
                Promotion.announced_state != PromotionAnnouncement.ENDED.value,
                or_(
                    and_(
                        Promotion.announced_state == PromotionAnnouncement.PENDING.value,
                        Promotion.starts_at <= now,
                    ),
                    over,
                ),
            )
            .order_by(Promotion.starts_at, Promotion.id)
            .limit(limit)
        )
        return list((await session.scalars(statement)).all())

    async def claim(self, session: AsyncSession, promotion_id: uuid.UUID) -> Promotion | None:
        """The row locked for this transaction, or None when another sweeper holds it."""
        statement: Any = (
            select(Promotion).where(Promotion.id == promotion_id).with_for_update(skip_locked=True)
        )
        return (await session.scalars(statement)).one_or_none()


promotion_repository = PromotionRepository()
