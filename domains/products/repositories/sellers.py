"""SQL of sellers: which users run which shops."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import all_rows
from domains.products.models import Seller
from domains.products.repositories.sql import rows_where_in


class SellerRepository:
    async def ids_for_user(self, session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
        return await all_rows(session, select(Seller.id).where(Seller.user_id == user_id))

    async def ids_for_users(
        self, session: AsyncSession, user_ids: Sequence[uuid.UUID]
    ) -> Sequence[Seller]:
        return await rows_where_in(session, Seller, Seller.user_id, user_ids)

    async def get(self, session: AsyncSession, seller_id: uuid.UUID) -> Seller | None:
        return await session.get(Seller, seller_id)

    async def link(self, session: AsyncSession, seller_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await session.execute(
            insert(Seller)
            .values(id=seller_id, user_id=user_id)
            .on_conflict_do_update(index_elements=[Seller.id], set_={"user_id": user_id})
        )


seller_repository = SellerRepository()
