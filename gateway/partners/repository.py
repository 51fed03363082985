"""Every SQL statement about partners."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.partners.models import Partner


async def add(session: AsyncSession, partner: Partner) -> Partner:
    session.add(partner)
    await session.flush()
    return partner


async def get_by_name(session: AsyncSession, name: str) -> Partner | None:
    result = await session.execute(select(Partner).where(Partner.name == name))
    return result.scalar_one_or_none()


async def get_active_by_key_hash(session: AsyncSession, key_hash: str) -> Partner | None:
    result = await session.execute(
        select(Partner).where(Partner.key_hash == key_hash, Partner.revoked_at.is_(None))
    )
    return result.scalar_one_or_none()


async def list_all(session: AsyncSession) -> list[Partner]:
    result = await session.execute(select(Partner).order_by(Partner.created_at, Partner.name))
    return list(result.scalars())


async def revoke(session: AsyncSession, partner_id: uuid.UUID) -> bool:
    result = await session.execute(
        update(Partner)
        .where(Partner.id == partner_id, Partner.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return bool(getattr(result, "rowcount", 0))
