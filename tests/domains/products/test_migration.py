"""Migration 0001 owns pg_trgm: it creates it in the products schema and removes it again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from domains.kit.config import Settings
from domains.kit.migrations import DomainMigrations
from shopgraph import backends
from shopgraph.registry import domain


@pytest.fixture
async def scratch_url(settings: Settings) -> AsyncIterator[str]:
    assert settings.database_url is not None
    server = backends.with_database(settings.database_url, "postgres")
    name = f"shopgraph_products_migration_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield backends.with_database(server, name)
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def _state(url: str) -> dict[str, object]:
    connection = await asyncpg.connect(url)
    try:
        return {
            "schema": await connection.fetchval(
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'products'"
            ),
            "pg_trgm in": await connection.fetchval(
                "SELECT extnamespace::regnamespace::text FROM pg_extension "
                "WHERE extname = 'pg_trgm'"
            ),
            "trigram index": await connection.fetchval(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_products_name_trgm'"
            ),
        }
    finally:
        await connection.close()


def _migrations() -> DomainMigrations:
    entry = domain("products")
    return DomainMigrations(entry.name, entry.migrations_directory)


async def test_up_creates_pg_trgm_in_the_schema_and_down_removes_everything(
    scratch_url: str,
) -> None:
    _migrations().upgrade(scratch_url)
    up = await _state(scratch_url)
    _migrations().downgrade(scratch_url, "base")
    down = await _state(scratch_url)

    assert up == {
        "schema": 1,
        "pg_trgm in": "products",
        "trigram index": "CREATE INDEX ix_products_name_trgm ON products.products "
        "USING gin (name products.gin_trgm_ops) WITH (fastupdate=off)",
    }
    assert down == {"schema": 0, "pg_trgm in": None, "trigram index": None}


async def test_pg_trgm_installed_elsewhere_is_a_clear_error(scratch_url: str) -> None:
    connection = await asyncpg.connect(scratch_url)
    await connection.execute("CREATE EXTENSION pg_trgm SCHEMA public")
    await connection.close()

    with pytest.raises(Exception, match="pg_trgm is installed in another schema"):
        _migrations().upgrade(scratch_url)

    assert (await _state(scratch_url))["schema"] == 0  # the failed migration left nothing
