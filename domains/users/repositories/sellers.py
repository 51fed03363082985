"""SQL of the users domain's seller profiles: the shops accounts run."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import all_rows, get_for_update
from domains.users.models import SellerProfile


class SellerProfileRepository:
    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[SellerProfile]:
        return await all_rows(session, select(SellerProfile).where(SellerProfile.id.in_(ids)))

    async def get_by_user_ids(
        self, session: AsyncSession, user_ids: Sequence[uuid.UUID]
    ) -> Sequence[SellerProfile]:
        return await all_rows(
            session, select(SellerProfile).where(SellerProfile.user_id.in_(user_ids))
        )

    async def get_by_slugs(
        self, session: AsyncSession, slugs: Sequence[str]
    ) -> Sequence[SellerProfile]:
        return await all_rows(session, select(SellerProfile).where(SellerProfile.slug.in_(slugs)))

    async def get_by_user_id_for_update(
        self, session: AsyncSession, user_id: uuid.UUID
    ) -> SellerProfile | None:
        return await get_for_update(session, SellerProfile, user_id, by=SellerProfile.user_id)

    async def get_for_update(
        self, session: AsyncSession, profile_id: uuid.UUID
    ) -> SellerProfile | None:
        return await get_for_update(session, SellerProfile, profile_id)

    async def slug_exists(self, session: AsyncSession, slug: str) -> bool:
        return (
            await session.scalar(
                select(SellerProfile.id).where(SellerProfile.slug == slug).limit(1)
            )
        ) is not None

    async def add(self, session: AsyncSession, profile: SellerProfile) -> None:
        session.add(profile)
        await session.flush()

    async def list_page(
        self,
        session: AsyncSession,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[SellerProfile]:
        """Newest first, keyset-paginated on (created_at, id)."""
        query = select(SellerProfile).order_by(
            SellerProfile.created_at.desc(), SellerProfile.id.desc()
        )
        if after is not None:
            query = query.where(tuple_(SellerProfile.created_at, SellerProfile.id) < tuple_(*after))
        return await all_rows(session, query.limit(limit))

    async def count(self, session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(SellerProfile)) or 0)


seller_profile_repository = SellerProfileRepository()
