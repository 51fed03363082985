"""SQL of variants: the purchasable versions of a product."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.products.models import Inventory, Variant
from domains.products.repositories.sql import value_taken


class VariantRepository:
    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Variant]:
        result = await session.scalars(select(Variant).where(Variant.id.in_(ids)))
        return result.all()

    async def get_by_skus(self, session: AsyncSession, skus: Sequence[str]) -> Sequence[Variant]:
        result = await session.scalars(select(Variant).where(Variant.sku.in_(skus)))
        return result.all()

    async def list_by_product_ids(
        self, session: AsyncSession, product_ids: Sequence[uuid.UUID]
    ) -> Sequence[Variant]:
        result = await session.scalars(
            select(Variant)
            .where(Variant.product_id.in_(product_ids))
            .order_by(Variant.product_id, Variant.position, Variant.created_at, Variant.id)
        )
        return result.all()

    async def get_for_update(self, session: AsyncSession, variant_id: uuid.UUID) -> Variant | None:
        return await session.scalar(
            select(Variant)
            .where(Variant.id == variant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def sku_exists(
        self, session: AsyncSession, sku: str, *, other_than: uuid.UUID | None = None
    ) -> bool:
        return await value_taken(session, Variant.sku, sku, Variant.id, other_than)

    async def add(self, session: AsyncSession, variant: Variant) -> None:
        session.add(variant)
        await session.flush()
        await session.execute(insert(Inventory).values(variant_id=variant.id))


variant_repository = VariantRepository()
