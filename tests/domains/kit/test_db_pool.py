"""The database pool keeps what it opened, up to DATABASE_POOL_MAX, and opens
DATABASE_POOL_MIN connections at start-up."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from domains.kit.config import Settings
from domains.kit.db import create_engine, warm_pool


async def test_connections_opened_under_load_stay_pooled(settings: Settings) -> None:
    engine = create_engine(dataclasses.replace(settings, database_pool_min=1, database_pool_max=5))
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    try:
        await warm_pool(engine, 2)
        assert pool.checkedin() == 2

        async def busy() -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT pg_sleep(0.05)"))

        await asyncio.gather(*(busy() for _ in range(5)))

        assert pool.checkedin() == 5, "none of the five was closed on return"
        assert pool.checkedout() == 0
    finally:
        await engine.dispose()
