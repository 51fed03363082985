"""SQL of variants: the purchasable versions of a product."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import get_for_update
from domains.products.models import Inventory, Product, Variant
from domains.products.repositories.sql import rows_where_in, value_taken


class VariantRepository:
    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Variant]:
        return await rows_where_in(session, Variant, Variant.id, ids)

    async def with_products(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> list[tuple[Variant, Product]]:
        """The variants among `ids` that exist, each with its product, in one statement."""
        rows = await session.execute(
            select(Variant, Product)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.id.in_(ids))
        )
        return [(row[0], row[1]) for row in rows]

    async def get_by_skus(self, session: AsyncSession, skus: Sequence[str]) -> Sequence[Variant]:
        return await rows_where_in(session, Variant, Variant.sku, skus)

    async def list_by_product_ids(
        self, session: AsyncSession, product_ids: Sequence[uuid.UUID]
    ) -> Sequence[Variant]:
        return await rows_where_in(
            session,
            Variant,
            Variant.product_id,
            product_ids,
            Variant.product_id,
            Variant.position,
            Variant.created_at,
            Variant.id,
        )

    async def get_for_update(self, session: AsyncSession, variant_id: uuid.UUID) -> Variant | None:
        return await get_for_update(session, Variant, variant_id)

    async def sku_exists(
        self, session: AsyncSession, sku: str, *, other_than: uuid.UUID | None = None
    ) -> bool:
        return await value_taken(session, Variant.sku, sku, Variant.id, other_than)

    async def add(self, session: AsyncSession, variant: Variant) -> None:
        session.add(variant)
        await session.flush()
        await session.execute(insert(Inventory).values(variant_id=variant.id))


variant_repository = VariantRepository()
