"""Pooled connections are pinged at checkout only after sitting idle: a dead idle one is
replaced unseen, and one in steady use costs no round trip."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from domains.kit.config import Settings
from domains.kit.db import sqlalchemy_url
from domains.kit.pool_liveness import ping_after_idle

IDLE_SECONDS = 0.2


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    assert settings.database_url is not None
    one_connection = create_async_engine(
        sqlalchemy_url(settings.database_url), pool_size=1, max_overflow=0
    )
    ping_after_idle(one_connection, idle_seconds=IDLE_SECONDS)
    yield one_connection
    await one_connection.dispose()


@pytest.fixture
def pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    made: list[int] = []
    dialect = engine.sync_engine.dialect
    ping = dialect.do_ping

    def counted(connection: Any) -> bool:
        made.append(1)
        return ping(connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return made


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(settings: Settings, pid: int) -> None:
    assert settings.database_url is not None
    other = create_async_engine(sqlalchemy_url(settings.database_url))
    try:
        async with other.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


async def test_connections_in_steady_use_are_not_pinged(
    engine: AsyncEngine, pings: list[int]
) -> None:
    for _ in range(5):
        await _backend_pid(engine)

    assert pings == []


async def test_an_idle_connection_that_died_is_replaced_unseen(
    engine: AsyncEngine, pings: list[int], settings: Settings
) -> None:
    dead = await _backend_pid(engine)
    await _terminate(settings, dead)
    await asyncio.sleep(IDLE_SECONDS * 1.5)

    replacement = await _backend_pid(engine)

    assert pings == [1]
    assert replacement != dead


async def test_a_connection_that_died_while_in_use_fails_once_then_the_pool_recovers(
    engine: AsyncEngine, pings: list[int], settings: Settings
) -> None:
    # The trade against pinging every checkout: death between two close uses is found
    # by the next statement, which fails, and SQLAlchemy then drops the dead connection.
    dead = await _backend_pid(engine)
    await _terminate(settings, dead)

    with pytest.raises(exc.DBAPIError) as failure:
        await _backend_pid(engine)
    assert failure.value.connection_invalidated

    assert await _backend_pid(engine) != dead
    assert pings == []
