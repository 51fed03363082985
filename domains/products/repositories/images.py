"""SQL of product images and their order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import get_for_update
from domains.products.models import ProductImage
from domains.products.repositories.sql import rows_where_in


class ImageRepository:
    async def list_by_product_ids(
        self, session: AsyncSession, product_ids: Sequence[uuid.UUID]
    ) -> Sequence[ProductImage]:
        return await rows_where_in(
            session,
            ProductImage,
            ProductImage.product_id,
            product_ids,
            ProductImage.product_id,
            ProductImage.position,
            ProductImage.created_at,
        )

    async def get_for_update(
        self, session: AsyncSession, image_id: uuid.UUID
    ) -> ProductImage | None:
        return await get_for_update(session, ProductImage, image_id)

    async def count_for_product(self, session: AsyncSession, product_id: uuid.UUID) -> int:
        count = await session.scalar(
            select(func.count())
            .select_from(ProductImage)
            .where(ProductImage.product_id == product_id)
        )
        return int(count or 0)

    async def make_room(self, session: AsyncSession, product_id: uuid.UUID, position: int) -> None:
        await session.execute(
            update(ProductImage)
            .where(ProductImage.product_id == product_id, ProductImage.position >= position)
            .values(position=ProductImage.position + 1)
        )

    async def close_gap(self, session: AsyncSession, product_id: uuid.UUID, position: int) -> None:
        await session.execute(
            update(ProductImage)
            .where(ProductImage.product_id == product_id, ProductImage.position > position)
            .values(position=ProductImage.position - 1)
        )

    async def add(self, session: AsyncSession, image: ProductImage) -> None:
        session.add(image)
        await session.flush()

    async def delete(self, session: AsyncSession, image_id: uuid.UUID) -> None:
        await session.execute(delete(ProductImage).where(ProductImage.id == image_id))


image_repository = ImageRepository()
