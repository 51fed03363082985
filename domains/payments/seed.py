"""The payments domain has no demo data: payments are made for orders."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.seeding import SeedOptions


async def seed(session: AsyncSession, options: SeedOptions) -> dict[str, int]:
    return {}
