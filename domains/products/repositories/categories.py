"""SQL of the category tree."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import all_rows
from domains.products.models import Category
from domains.products.repositories.sql import rows_where_in


class CategoryRepository:
    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Category]:
        return await rows_where_in(session, Category, Category.id, ids)

    async def get_by_slugs(self, session: AsyncSession, slugs: Sequence[str]) -> Sequence[Category]:
        return await rows_where_in(session, Category, Category.slug, slugs)

    async def list_all(self, session: AsyncSession) -> Sequence[Category]:
        return await all_rows(
            session, select(Category).order_by(Category.position, Category.name, Category.id)
        )

    async def exists(self, session: AsyncSession, category_id: uuid.UUID) -> bool:
        found = await session.scalar(select(Category.id).where(Category.id == category_id))
        return found is not None


category_repository = CategoryRepository()
