"""The long-lived handles an app holds: database engine, Redis client, signing keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domains.kit.auth import JwtKeys
from domains.kit.config import Settings
from domains.kit.db import create_engine, create_session_factory
from domains.kit.revocation import TokenRevocations
from domains.kit.tracing import instrument_engine


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    redis: Redis
    jwt_keys: JwtKeys
    # For blocking commands (XREADGROUP BLOCK): their own pool with a read timeout well
    # above the block time. With the short timeout of `redis`, a busy event loop that
    # reads the answer a little late turned a delivered batch into a timeout, and the
    # entries, already handed to this consumer, waited for reclaiming.
    blocking_redis: Redis | None = None

    @property
    def redis_for_blocking(self) -> Redis:
        return self.blocking_redis if self.blocking_redis is not None else self.redis

    @property
    def revocations(self) -> TokenRevocations:
        return TokenRevocations(
            self.redis, self.settings.redis_key_prefix, self.settings.jwt_expiry
        )

    async def check_postgres(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def check_redis(self) -> None:
        await self.redis.ping()


BLOCKING_READ_TIMEOUT_SECONDS = 30.0


def create_redis(settings: Settings, *, socket_timeout: float = 2.0) -> Redis:
    if settings.redis_url is None:
        raise RuntimeError("REDIS_URL is not resolved: start through `shopgraph` or set it")
    # Short timeouts: a Redis outage must degrade to Postgres reads, not hang requests.
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=2,
        health_check_interval=30,
    )


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    engine = create_engine(settings)
    instrument_engine(engine)
    redis = create_redis(settings)
    blocking_redis = create_redis(settings, socket_timeout=BLOCKING_READ_TIMEOUT_SECONDS)
    try:
        yield Resources(
            settings=settings,
            engine=engine,
            session_factory=create_session_factory(engine),
            redis=redis,
            jwt_keys=JwtKeys.from_settings(settings),
            blocking_redis=blocking_redis,
        )
    finally:
        await blocking_redis.aclose()
        await redis.aclose()
        await engine.dispose()
