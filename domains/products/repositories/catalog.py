"""SQL of products: the catalog rows, their price and stock summaries, and shop pages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import all_rows, get_for_update
from domains.products.models import Inventory, Product, ProductRating, ProductStatus, Variant
from domains.products.repositories.sql import newest_per_owner, rows_where_in, value_taken


class ProductRepository:
    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Product]:
        return await rows_where_in(session, Product, Product.id, ids)

    async def get_by_slugs(self, session: AsyncSession, slugs: Sequence[str]) -> Sequence[Product]:
        return await rows_where_in(session, Product, Product.slug, slugs)

    async def get_for_update(self, session: AsyncSession, product_id: uuid.UUID) -> Product | None:
        return await get_for_update(session, Product, product_id)

    async def slug_exists(
        self, session: AsyncSession, slug: str, *, other_than: uuid.UUID | None = None
    ) -> bool:
        return await value_taken(session, Product.slug, slug, Product.id, other_than)

    async def add(self, session: AsyncSession, product: Product) -> None:
        session.add(product)
        await session.flush()
        # Every product has a rating row from the start, so rating sorts are an inner
        # join and reviews only ever update it.
        await session.execute(insert(ProductRating).values(product_id=product.id))

    async def refresh_price_summary(self, session: AsyncSession, product_id: uuid.UUID) -> None:
        """Recompute the product's "from" price and currency from its variants."""
        prices = (
            select(
                func.min(Variant.price_amount).label("low"),
                func.max(Variant.price_amount).label("high"),
                func.min(Variant.currency).label("currency"),
            )
            .where(Variant.product_id == product_id)
            .subquery()
        )
        await session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(
                price_min=select(prices.c.low).scalar_subquery(),
                price_max=select(prices.c.high).scalar_subquery(),
                currency=select(prices.c.currency).scalar_subquery(),
                updated_at=func.now(),
            )
        )

    async def refresh_stock_flags(
        self, session: AsyncSession, variant_ids: Sequence[uuid.UUID]
    ) -> Sequence[tuple[uuid.UUID, str]]:
        """Recompute `in_stock` of the variants' products; (id, slug) of those that changed.

        Called after stock crossed zero, with the inventory rows already locked: the
        product rows are then locked in id order, the same order for every caller.
        """
        product_ids = await all_rows(
            session,
            select(Variant.product_id)
            .where(Variant.id.in_(variant_ids))
            .distinct()
            .order_by(Variant.product_id),
        )
        changed: list[tuple[uuid.UUID, str]] = []
        for product_id in product_ids:
            available = _any_variant_available()
            row = (
                await session.execute(
                    update(Product)
                    .where(Product.id == product_id, Product.in_stock.is_distinct_from(available))
                    .values(in_stock=available)
                    .returning(Product.id, Product.slug)
                )
            ).one_or_none()
            if row is not None:
                changed.append((row.id, row.slug))
        return changed

    async def page_by_sellers(
        self,
        session: AsyncSession,
        seller_ids: Sequence[uuid.UUID],
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[Product]:
        """Newest ACTIVE products of each seller, `limit` per seller, in one statement."""
        return await newest_per_owner(
            session,
            Product,
            Product.seller_id,
            seller_ids,
            columns=_product_columns(),
            conditions=[Product.status == ProductStatus.ACTIVE.value],
            alias="sellers",
            limit=limit,
            after=after,
        )

    async def count_by_sellers(
        self, session: AsyncSession, seller_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, int]:
        result = await session.execute(
            select(Product.seller_id, func.count())
            .where(Product.seller_id.in_(seller_ids), Product.status == ProductStatus.ACTIVE.value)
            .group_by(Product.seller_id)
        )
        return {seller_id: int(count) for seller_id, count in result.all()}


def _product_columns() -> list[Any]:
    # Everything but the search vector, which no caller reads back.
    return [c for c in Product.__table__.c if c.name != "search_vector"]


def _any_variant_available() -> ColumnElement[bool]:
    return exists(
        select(literal(1))
        .select_from(Variant)
        .join(Inventory, Inventory.variant_id == Variant.id)
        .where(Variant.product_id == Product.id, Inventory.on_hand > Inventory.reserved)
    )


product_repository = ProductRepository()
