"""The unit of work around partner commands (`shopgraph partners ...`).

Each call opens its own engine for one transaction: commands run once, so a pool
would only outlive them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import pool
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from gateway.partners import service
from gateway.partners.models import Partner

T = TypeVar("T")


@asynccontextmanager
async def _transaction(database_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(database_url, poolclass=pool.NullPool)
    try:
        factory = async_sessionmaker(engine, expire_on_commit=False)
        async with factory() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


async def _run(database_url: str, work: Callable[[AsyncSession], Coroutine[Any, Any, T]]) -> T:
    async with _transaction(database_url) as session:
        return await work(session)


async def create_partner(
    database_url: str, name: str, manifest: str, known_manifests: Collection[str]
) -> tuple[Partner, str]:
    return await _run(
        database_url,
        lambda session: service.create(session, name, manifest, known_manifests=known_manifests),
    )


async def list_partners(database_url: str) -> list[Partner]:
    return await _run(database_url, service.list_partners)


async def revoke_partner(database_url: str, name: str) -> Partner:
    return await _run(database_url, lambda session: service.revoke(session, name))
