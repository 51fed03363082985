"""The long-lived handles an app holds: database engine, Redis client, signing keys."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domains.kit.auth import JwtKeys
from domains.kit.config import Settings
from domains.kit.db import create_engine, create_session_factory, warm_pool
from domains.kit.revocation import TokenRevocations
from domains.kit.tracing import instrument_engine

logger = logging.getLogger("shopgraph")


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
    # DATABASE_REPLICA_URL: the replica's engine and sessions, for reads that may lag the
    # primary by a moment (dataloaders, listings). None: those reads use the primary.
    replica_engine: AsyncEngine | None = None
    replica_session_factory: async_sessionmaker[AsyncSession] | None = None
    # Stoppers of what a domain starts on first use and keeps between requests
    # (checkoutComplete's decision listener): run as the resources close, before the
    # connections do.
    stoppers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def on_close(self, stop: Callable[[], Awaitable[None]]) -> None:
        self.stoppers.append(stop)

    async def stop_lingering(self) -> None:
        """Stop what was started on first use and kept between requests; each starts
        again on its next use."""
        for stop in reversed(self.stoppers):
            try:
                await stop()
            except Exception:
                logger.exception("stopping %r failed", stop)

    @property
    def redis_for_blocking(self) -> Redis:
        return self.blocking_redis if self.blocking_redis is not None else self.redis

    @property
    def read_session_factory(self) -> async_sessionmaker[AsyncSession]:
        """Sessions for replica-safe reads: the replica's when there is one.

        Writes, reads inside a unit of work, and reads that must see what was just
        committed (a checkout's waiter, a mutation's answer) use `session_factory`.
        """
        return self.replica_session_factory or self.session_factory

    def primary_only(self) -> Resources:
        """The same handles with every read on the primary: after a request has written,
        its remaining reads must see that write, which a replica may not have yet."""
        if self.replica_session_factory is None:
            return self
        return dataclasses.replace(self, replica_engine=None, replica_session_factory=None)

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

# Connections per Redis client (redis-py's own default size).
REDIS_MAX_CONNECTIONS = 100


def create_redis(settings: Settings, *, socket_timeout: float = 2.0) -> Redis:
    if settings.redis_url is None:
        raise RuntimeError("REDIS_URL is not resolved: start through `shopgraph` or set it")
    if settings.redis_cluster:
        return create_cluster_client(settings.redis_url, socket_timeout=socket_timeout)
    # Short timeouts: a Redis outage must degrade to Postgres reads, not hang requests.
    # A blocking pool: past its size a command waits (up to the socket timeout) for a
    # connection to come back. redis-py's default pool raises at once instead, and under
    # 50 concurrent requests the cache's parallel MGETs and pipelines passed its 100
    # connections, so the cache switched itself off for 5 s at a time and every read went
    # to Postgres: throughput fell to a quarter of what 10 concurrent requests got.
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=socket_timeout,
        socket_timeout=socket_timeout,
        socket_connect_timeout=2,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)


def create_cluster_client(url: str, *, socket_timeout: float = 2.0) -> Redis:
    """redis-py's cluster client (REDIS_CLUSTER=true), from the URL of any node.

    It speaks the same commands as `Redis` and routes each by its key's slot; commands
    over several keys need them in one slot, which the key names arrange with hash tags
    (domains/kit/redis_keys.py). It is typed as `Redis` so that code written against
    the commands works unchanged with either client.
    """
    client = RedisCluster.from_url(url, socket_timeout=socket_timeout, socket_connect_timeout=2)
    return cast(Redis, client)


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    engine = create_engine(settings)
    instrument_engine(engine)
    redis = create_redis(settings)
    blocking_redis = create_redis(settings, socket_timeout=BLOCKING_READ_TIMEOUT_SECONDS)
    replica = None
    if settings.database_replica_url is not None:
        replica = create_engine(settings, url=settings.database_replica_url)
        instrument_engine(replica)
    for pooled in (engine, replica):
        if pooled is None:
            continue
        try:
            await warm_pool(pooled, settings.database_pool_min)
        except Exception as error:  # readiness reports the database; starting goes on
            logger.warning("could not open the first database connections: %s", error)
    resources = Resources(
        settings=settings,
        engine=engine,
        session_factory=create_session_factory(engine),
        redis=redis,
        jwt_keys=JwtKeys.from_settings(settings),
        blocking_redis=blocking_redis,
        replica_engine=replica,
        replica_session_factory=create_session_factory(replica) if replica else None,
    )
    if settings.events_send_on_commit:
        # Imported here: the events package is built on these resources (a cycle).
        from domains.kit.events.eager import send_eagerly

        send_eagerly(resources)
    try:
        yield resources
    finally:
        await resources.stop_lingering()
        await blocking_redis.aclose()
        await redis.aclose()
        if replica is not None:
            await replica.dispose()
        await engine.dispose()
