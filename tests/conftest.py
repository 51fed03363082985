"""Real Postgres and Redis for every test.

Where they come from, in order: TEST_DATABASE_URL / TEST_REDIS_URL; a server answering
on 127.0.0.1:5432 / 6379; the embedded ones (as on a fresh machine). SHOPGRAPH_EMBEDDED=1
skips straight to the embedded ones. Each run creates its own database (dropped at the
end) and its own Redis key prefix; each test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import event, text

from domains.kit.app import Runtime
from domains.kit.auth import JwtKeys
from domains.kit.config import AppEnv, Settings
from domains.kit.resources import Resources, open_resources
from shopgraph import backends
from shopgraph.provisioning import migrate_all
from shopgraph.registry import DOMAINS
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter

pytest_plugins = ["tests.support.watchdog"]

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA_DIR = REPO_ROOT / ".data" / "test"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _postgres_server_url() -> tuple[str, str]:
    if not _flag("SHOPGRAPH_EMBEDDED"):
        if url := os.environ.get("TEST_DATABASE_URL"):
            return url, "TEST_DATABASE_URL"
        if _answers("127.0.0.1", 5432):
            return "postgresql://postgres@127.0.0.1:5432/postgres", "server on 127.0.0.1:5432"
    return backends.start_embedded_postgres(TEST_DATA_DIR), "embedded Postgres"


def _redis_url() -> tuple[str, str]:
    if not _flag("SHOPGRAPH_EMBEDDED"):
        if url := os.environ.get("TEST_REDIS_URL"):
            return url, "TEST_REDIS_URL"
        if _answers("127.0.0.1", 6379):
            return "redis://127.0.0.1:6379/0", "server on 127.0.0.1:6379"
    return backends.start_embedded_redis(TEST_DATA_DIR), "embedded Redis"


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def jwt_keys() -> JwtKeys:
    return JwtKeys.generate()


@pytest.fixture(scope="session")
def settings(jwt_keys: JwtKeys) -> Iterator[Settings]:
    """Settings of this run, pointing at a database created for it alone."""
    server_url, postgres_source = _postgres_server_url()
    redis_url, redis_source = _redis_url()
    run_id = uuid.uuid4().hex[:10]
    database = f"shopgraph_test_{run_id}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{database}"'))
    print(f"\ntests use {postgres_source} (database {database}) and {redis_source}")
    test_settings = Settings(
        app_env=AppEnv.TEST,
        database_url=backends.with_database(server_url, database),
        database_pool_min=1,
        database_pool_max=20,
        redis_url=redis_url,
        redis_key_prefix=f"sg-test-{run_id}:",
        jwt_private_key=jwt_keys.private_pem,
        jwt_public_key=jwt_keys.public_pem,
        data_dir=TEST_DATA_DIR / run_id,
    )
    migrate_all(test_settings)
    yield test_settings
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


@pytest.fixture(scope="session")
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    # Tests drive sagas a step at a time with explicit relays (`relay_once`), so these
    # shared handles leave every event to the relay. The platforms tests start build
    # their own from `settings`, and send their events as they commit, as deployed.
    relayed_only = dataclasses.replace(settings, events_send_on_commit=False)
    async with open_resources(relayed_only) as opened:
        # What the users worker keeps in a deployment: Redis vouches for every revocation
        # of the (empty) record (domains/kit/revocation.py).
        await opened.revocations.write(mark_complete=True)
        yield opened


async def _delete_keys(redis: Redis, prefix: str) -> None:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=500)]
    if keys:
        await redis.delete(*keys)


@pytest.fixture(autouse=True)
async def _clean_state(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every domain table and this run's Redis keys after each test that used them."""
    yield
    if "resources" not in request.fixturenames:
        return
    resources: Resources = request.getfixturevalue("resources")
    # The session's resources outlive the test: what they keep between requests stops
    # here, as it would when they close.
    await resources.stop_lingering()
    schemas = [entry.name for entry in DOMAINS]
    async with resources.engine.begin() as connection:
        tables = (
            (
                await connection.execute(
                    text(
                        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) "
                        "FROM pg_tables WHERE schemaname = ANY(:schemas)"
                    ),
                    {"schemas": schemas},
                )
            )
            .scalars()
            .all()
        )
        if tables:
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    await _delete_keys(resources.redis, resources.settings.redis_key_prefix)
    await resources.revocations.write(mark_complete=True)


@pytest.fixture
async def users_client(resources: Resources) -> AsyncIterator[GraphQLClient]:
    from domains.users.app import create_app

    app = create_app(Runtime(resources.settings, resources), manage_resources=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://users.test") as http:
        yield GraphQLClient(http)


@pytest.fixture
def sql_counter(resources: Resources) -> Iterator[SqlCounter]:
    counter = SqlCounter()

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        counter.statements.append(statement)

    event.listen(resources.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield counter
    finally:
        event.remove(resources.engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """`shopgraph` commands run in-process (`main([...])`) configure the root logger for
    a terminal; give the next test the logging it had, not a handler on a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
