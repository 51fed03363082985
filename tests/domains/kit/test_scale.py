"""Scale settings: a read replica for dataloaders and listings, PgBouncer-compatible
connections, and Redis Cluster, against the real servers."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from redis.asyncio.cluster import RedisCluster
from redis.cluster import key_slot
from redis.exceptions import RedisClusterException, ResponseError
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domains.kit.app import Runtime
from domains.kit.auth import Viewer
from domains.kit.cache import MISSING, EntityCache, JsonCodec
from domains.kit.config import ConfigError, Settings
from domains.kit.db import create_engine, transaction
from domains.kit.events import (
    Consumer,
    Event,
    EventMeta,
    EventTables,
    Relay,
    Subscription,
    publish,
)
from domains.kit.events.monitor import consumer_lag
from domains.kit.events.streams import dead_letter_key, stream_key
from domains.kit.resources import Resources, create_redis, open_resources
from domains.kit.revocation import TokenCheckUnavailable
from domains.users.app import create_app as create_users_app
from gateway.ratelimit import Bucket, RateLimiter, RateLimits
from shopgraph.registry import DOMAINS, consumed_events, published_events
from tests.domains.users.helpers import insert_user, start_session
from tests.support.redis_cluster import ClusterUnavailable, redis_cluster
from tests.support.schemas import scratch_schema

# ------------------------------------------------------------------------ settings


def test_the_scale_settings_are_read_and_checked() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://app@primary/shop",
            "DATABASE_REPLICA_URL": "postgresql://app@replica/shop",
            "DATABASE_PGBOUNCER": "true",
            "REDIS_URL": "redis://node-1:7000/0",
            "REDIS_CLUSTER": "yes",
        }
    )
    assert settings.database_replica_url == "postgresql://app@replica/shop"
    assert settings.database_pgbouncer is True
    assert settings.redis_cluster is True
    assert Settings.from_env({}).database_pgbouncer is False
    assert Settings.from_env({}).redis_cluster is False

    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URL must be a URL"):
        Settings.from_env({"DATABASE_URL": "postgresql://a/b", "DATABASE_REPLICA_URL": "mysql://x"})
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URL needs DATABASE_URL"):
        Settings.from_env({"DATABASE_REPLICA_URL": "postgresql://replica/shop"})
    with pytest.raises(ConfigError, match="DATABASE_PGBOUNCER must be 1/true"):
        Settings.from_env({"DATABASE_PGBOUNCER": "transaction"})
    with pytest.raises(ConfigError, match="REDIS_CLUSTER=true needs REDIS_URL"):
        Settings.from_env({"REDIS_CLUSTER": "on"})
    with pytest.raises(ConfigError, match="REDIS_CLUSTER=true needs REDIS_URL"):
        Settings.from_env({"REDIS_CLUSTER": "on", "REDIS_URL": "unix:///tmp/redis.sock"})


# ------------------------------------------------------------------------- replica


@dataclass
class Statements:
    by_engine: dict[str, list[str]]

    def clear(self) -> None:
        for statements in self.by_engine.values():
            statements.clear()


def _record(engine: AsyncEngine, into: list[str]) -> None:
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        into.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)


def _as_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{user}@{host}", parts.path, parts.query, parts.fragment))


@pytest.fixture
async def replica(settings: Settings, resources: Resources) -> AsyncIterator[Resources]:
    """A replica stand-in: the test database through a role whose every transaction is
    read-only, as on a hot standby. Resources opened with DATABASE_REPLICA_URL set to it."""
    assert settings.database_url is not None
    role = f"sg_replica_{uuid.uuid4().hex[:8]}"
    schemas = ", ".join(entry.name for entry in DOMAINS)
    admin = await asyncpg.connect(settings.database_url)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN")
        await admin.execute(f"ALTER ROLE {role} SET default_transaction_read_only = on")
        await admin.execute(f"GRANT USAGE ON SCHEMA {schemas} TO {role}")
        await admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schemas} TO {role}")
        replicated = dataclasses.replace(
            settings, database_replica_url=_as_user(settings.database_url, role)
        )
        async with open_resources(replicated) as opened:
            yield opened
    finally:
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()


async def test_loader_reads_go_to_the_replica_and_writes_to_the_primary(
    replica: Resources,
) -> None:
    assert replica.replica_engine is not None
    statements = Statements({"primary": [], "replica": []})
    _record(replica.engine, statements.by_engine["primary"])
    _record(replica.replica_engine, statements.by_engine["replica"])
    user_id = await insert_user(replica, "reader@example.com", name="Reader")
    signed_in = await start_session(replica, user_id)
    app = create_users_app(Runtime(replica.settings, replica), manage_resources=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://users"
    ) as client:
        statements.clear()
        me = await client.post(
            "/graphql",
            json={"query": "{ me { name email } }"},
            headers={"Authorization": f"Bearer {signed_in.access_token}"},
        )
        assert me.json()["data"]["me"] == {"name": "Reader", "email": "reader@example.com"}
        assert any("FROM users.users" in sql for sql in statements.by_engine["replica"])
        assert statements.by_engine["primary"] == []

        statements.clear()
        registered = await client.post(
            "/graphql",
            json={
                "query": 'mutation { accountRegister(input: {email: "writer@example.com", '
                'password: "a long passphrase", name: "Writer"}) '
                "{ user { name } errors { code } } }"
            },
        )
    answer = registered.json()["data"]["accountRegister"]
    assert answer == {"user": {"name": "Writer"}, "errors": []}
    assert any(sql.startswith("INSERT INTO users.users") for sql in statements.by_engine["primary"])
    # The write, and every read of the request after it, on the primary.
    assert statements.by_engine["replica"] == []

    # The replica engine really is read-only: a write through it is refused.
    async with replica.read_session_factory() as session:
        with pytest.raises(DBAPIError, match="read-only transaction"):
            await session.execute(text("UPDATE users.users SET name = 'x'"))


async def test_without_a_replica_reads_use_the_primary(resources: Resources) -> None:
    assert resources.replica_engine is None
    assert resources.read_session_factory is resources.session_factory
    assert resources.primary_only() is resources


# ----------------------------------------------------------------------- pgbouncer

# Statements prepared on this connection other than the one asking (which is prepared
# while it runs, whatever the mode).
OTHER_PREPARED = (
    "SELECT count(*) FROM pg_prepared_statements "
    "WHERE statement NOT LIKE '%pg_prepared_statements%'"
)


async def _prepared_statements_after_queries(engine: AsyncEngine) -> tuple[int, Any]:
    async with engine.connect() as connection:
        for _ in range(3):  # the same statement again: what a cache would keep prepared
            await connection.execute(
                text("SELECT count(*) FROM users.users WHERE name = :n"), {"n": "x"}
            )
            await connection.commit()
        raw = await connection.get_raw_connection()
        count = (await connection.execute(text(OTHER_PREPARED))).scalar_one()
        return int(count), raw.driver_connection


async def test_pgbouncer_mode_keeps_no_prepared_statement_on_the_server(
    settings: Settings,
) -> None:
    bouncer = create_engine(dataclasses.replace(settings, database_pgbouncer=True))
    default = create_engine(settings)
    try:
        kept, driver = await _prepared_statements_after_queries(bouncer)
        assert kept == 0
        assert driver._stmt_cache.get_max_size() == 0  # asyncpg's own cache is off too
        # The same queries with the caches on leave statements prepared on the connection,
        # which a transaction-pooling PgBouncer would hand to another client.
        kept_by_default, _ = await _prepared_statements_after_queries(default)
        assert kept_by_default > 0
    finally:
        await bouncer.dispose()
        await default.dispose()


async def test_the_platform_serves_in_pgbouncer_mode(settings: Settings) -> None:
    bouncer_settings = dataclasses.replace(settings, database_pgbouncer=True)
    async with open_resources(bouncer_settings) as opened:
        user_id = await insert_user(opened, "bounced@example.com", name="Bounced")
        signed_in = await start_session(opened, user_id)
        app = create_users_app(Runtime(bouncer_settings, opened), manage_resources=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://users"
        ) as client:
            for _ in range(3):
                me = await client.post(
                    "/graphql",
                    json={"query": "{ me { name } }"},
                    headers={"Authorization": f"Bearer {signed_in.access_token}"},
                )
                assert me.json()["data"]["me"] == {"name": "Bounced"}
        async with opened.engine.connect() as connection:
            prepared = await connection.execute(text(OTHER_PREPARED))
            assert prepared.scalar_one() == 0


# ------------------------------------------------------------------- redis cluster


def test_every_stream_and_dead_letter_key_shares_one_slot(settings: Settings) -> None:
    names = {
        event.name
        for events in (*published_events().values(), *consumed_events().values())
        for event in events
    }
    assert names
    keys = [stream_key(settings, name) for name in names]
    keys += [dead_letter_key(settings, entry.name) for entry in DOMAINS]
    assert {key_slot(key.encode()) for key in keys} == {key_slot(b"events")}


@pytest.fixture
def cluster_settings(settings: Settings, redis_cluster_url: str) -> Settings:
    return dataclasses.replace(settings, redis_url=redis_cluster_url, redis_cluster=True)


@pytest.fixture(scope="module")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        with redis_cluster(tmp_path_factory.mktemp("redis-cluster")) as url:
            yield url
    except ClusterUnavailable as error:
        pytest.skip(f"no local Redis Cluster: {error}")


@pytest.fixture
async def on_cluster(resources: Resources, cluster_settings: Settings) -> AsyncIterator[Resources]:
    """The test resources with both Redis clients on the cluster."""
    cluster = create_redis(cluster_settings)
    assert isinstance(cluster, RedisCluster)
    try:
        yield dataclasses.replace(
            resources, settings=cluster_settings, redis=cluster, blocking_redis=cluster
        )
    finally:
        await cluster.aclose()


@dataclass(frozen=True)
class ClusterPing(Event):
    name = "ClusterPing"
    version = 1

    n: int


@dataclass(frozen=True)
class ClusterPong(Event):
    name = "ClusterPong"
    version = 1

    n: int


@pytest.fixture
async def cluster_tables(resources: Resources) -> AsyncIterator[EventTables]:
    async with scratch_schema(resources, "cluster_events", EventTables) as tables:
        yield tables


async def test_events_flow_through_a_redis_cluster(
    on_cluster: Resources, cluster_tables: EventTables
) -> None:
    seen: list[tuple[str, int]] = []

    async def handle(session: Any, event: ClusterPing | ClusterPong, meta: EventMeta) -> None:
        seen.append((meta.name, event.n))

    consumer = Consumer(
        on_cluster,
        cluster_tables,
        group="cluster-testers",
        subscriptions=[Subscription(ClusterPing, handle), Subscription(ClusterPong, handle)],
    )
    await consumer.ensure_groups()
    async with transaction(on_cluster.session_factory) as session:
        await publish(session, cluster_tables, ClusterPing(n=1))
        await publish(session, cluster_tables, ClusterPong(n=2))

    assert await Relay(on_cluster, cluster_tables, producer="cluster").relay_once() == 2
    lags = await consumer_lag(on_cluster, group="cluster-testers", streams=consumer.streams)
    assert sorted(lags.values()) == [1, 1]
    # One XREADGROUP over both streams: allowed because they share the {events} slot.
    assert await consumer.consume_once(block_ms=100) == 2
    assert sorted(seen) == [("ClusterPing", 1), ("ClusterPong", 2)]
    lags = await consumer_lag(on_cluster, group="cluster-testers", streams=consumer.streams)
    assert set(lags.values()) == {0}

    # The same read over streams in different slots is what the tag prevents.
    untagged = [f"{on_cluster.settings.redis_key_prefix}untagged:{n}" for n in ("a", "b", "c")]
    assert len({key_slot(key.encode()) for key in untagged}) > 1
    for key in untagged:
        await on_cluster.redis.xgroup_create(key, "g", id="0", mkstream=True)
    with pytest.raises((ResponseError, RedisClusterException)):
        await on_cluster.redis.xreadgroup("g", "c", dict.fromkeys(untagged, ">"))


async def test_cache_and_revocations_read_many_keys_across_the_cluster(
    on_cluster: Resources,
) -> None:
    cache = EntityCache.from_settings(on_cluster.redis, on_cluster.settings)
    keys = [f"test:thing:{n}" for n in range(20)]
    assert len({key_slot(cache.full_key(key).encode()) for key in keys}) > 1
    fetched: list[list[str]] = []

    async def fetch(missed: list[str]) -> list[str]:
        fetched.append(missed)
        return [key.upper() for key in missed]

    for _ in range(2):
        values = await cache.read_through(keys, cache_key=str, fetch=fetch, codec=JsonCodec())
        assert values == [key.upper() for key in keys]
    assert fetched == [keys], "the second read came from the cluster"
    assert await cache.add("test:added", "first") == "first"
    assert await cache.add("test:added", "second") == "first"
    await cache.invalidate(keys)
    assert await cache.get_many(keys) == [MISSING] * len(keys)

    viewer = Viewer(user_id=uuid.uuid4(), roles=frozenset(), token_id="t1", session_id="s1")
    revocations = on_cluster.revocations
    # A cluster that holds no record cannot vouch for any token ...
    with pytest.raises(TokenCheckUnavailable):
        await revocations.is_revoked(viewer)
    # ... until the users domain has copied the (here empty) record into it.
    await revocations.write(mark_complete=True)
    assert await revocations.is_revoked(viewer) is False
    await revocations.revoke_sessions(["s1"])
    assert await revocations.is_revoked(viewer) is True


async def test_the_gateway_rate_limits_on_a_redis_cluster(on_cluster: Resources) -> None:
    limiter = RateLimiter(
        on_cluster.redis,
        on_cluster.settings.redis_key_prefix,
        RateLimits(window_seconds=60, per_ip=10, per_user=5),
    )
    buckets = [Bucket("ip", "192.0.2.1"), Bucket("user", str(uuid.uuid4()))]
    decisions = [await limiter.consume(buckets, cost=2) for _ in range(3)]
    assert [decision.allowed for decision in decisions] == [True, True, False]
    assert decisions[-1].bucket == buckets[1]
