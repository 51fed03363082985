"""SQL of product images and their order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domains.products.models import ProductImage


class ImageRepository:
    async def list_by_product_ids(
        self, session: AsyncSession, product_ids: Sequence[uuid.UUID]
    ) -> Sequence[ProductImage]:
        result = await session.scalars(
            select(ProductImage)
            .where(ProductImage.product_id.in_(product_ids))
            .order_by(ProductImage.product_id, ProductImage.position, ProductImage.created_at)
        )
        return result.all()

    async def get_for_update(
        self, session: AsyncSession, image_id: uuid.UUID
    ) -> ProductImage | None:
        return await session.scalar(
            select(ProductImage)
            .where(ProductImage.id == image_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

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
