"""SQL of the users domain's sign-in tokens: refresh tokens, grouped in families, one
family per sign-in."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import get_for_update
from domains.users.models import RefreshToken


class RefreshTokenRepository:
    async def get_by_hash_for_update(
        self, session: AsyncSession, token_hash: str
    ) -> RefreshToken | None:
        return await get_for_update(session, RefreshToken, token_hash, by=RefreshToken.token_hash)

    async def add(self, session: AsyncSession, token: RefreshToken) -> None:
        session.add(token)
        await session.flush()

    async def revoke_family(
        self, session: AsyncSession, family_id: uuid.UUID, at: datetime
    ) -> None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def revoke_all_for_user(
        self,
        session: AsyncSession,
        user_id: uuid.UUID,
        at: datetime,
        *,
        keep_family: uuid.UUID | None = None,
    ) -> set[uuid.UUID]:
        """Revoke every live refresh token of a user (but one sign-in's); return their families."""
        query = update(RefreshToken).where(
            RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
        )
        if keep_family is not None:
            query = query.where(RefreshToken.family_id != keep_family)
        result = await session.execute(
            query.values(revoked_at=at).returning(RefreshToken.family_id)
        )
        return set(result.scalars().all())


async def count_users_signed_in_since(session: AsyncSession, since: datetime) -> int:
    """Distinct accounts that signed in or refreshed a token since the moment."""
    count = await session.scalar(
        select(func.count(func.distinct(RefreshToken.user_id))).where(
            RefreshToken.created_at >= since
        )
    )
    return int(count or 0)


refresh_token_repository = RefreshTokenRepository()
