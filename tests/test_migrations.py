from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from domains.kit.config import Settings
from domains.kit.db import sqlalchemy_url
from domains.kit.migrations import DomainMigrations
from shopgraph import backends
from shopgraph.provisioning import migrate_all
from shopgraph.registry import DOMAINS, load


@pytest.fixture
async def empty_database(settings: Settings) -> AsyncIterator[Settings]:
    """A database of its own: migrating down must not disturb the other tests' one."""
    assert settings.database_url is not None
    server = backends.with_database(settings.database_url, "postgres")
    name = f"shopgraph_migrations_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield dataclasses.replace(settings, database_url=backends.with_database(server, name))
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def _schema_objects(url: str) -> dict[str, set[str]]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT n.nspname AS schema, c.relname AS name FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1::text[])",
            [entry.name for entry in DOMAINS],
        )
        schemas = await connection.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[])",
            [entry.name for entry in DOMAINS],
        )
    finally:
        await connection.close()
    objects: dict[str, set[str]] = {row["nspname"]: set() for row in schemas}
    for row in rows:
        objects[row["schema"]].add(row["name"])
    return objects


async def test_down_to_base_then_up_round_trips(empty_database: Settings) -> None:
    url = empty_database.database_url
    assert url is not None

    migrate_all(empty_database, "up")
    after_first_up = await _schema_objects(url)
    migrate_all(empty_database, "down", to="base")
    after_down = await _schema_objects(url)
    migrate_all(empty_database, "up")
    after_second_up = await _schema_objects(url)

    assert "users" in after_first_up["users"]
    assert after_down == {}, "down to base must remove every domain schema it created"
    assert after_second_up == after_first_up


async def test_status_reports_head(empty_database: Settings) -> None:
    url = empty_database.database_url
    assert url is not None
    migrations = [DomainMigrations(entry.name, entry.migrations_directory) for entry in DOMAINS]

    before = [await m.current(url) for m in migrations]
    migrate_all(empty_database, "up")
    after = [await m.current(url) for m in migrations]

    assert before == [() for _ in migrations]
    assert after == [m.heads() for m in migrations]
    assert all(len(m.heads()) == 1 for m in migrations), "each domain keeps one linear history"


async def test_models_and_migrations_agree(settings: Settings) -> None:
    """Autogenerate against the migrated test database finds nothing to add: the
    committed migrations describe exactly what the models declare."""
    assert settings.database_url is not None
    engine = create_async_engine(sqlalchemy_url(settings.database_url))
    differences: dict[str, list[object]] = {}
    try:
        async with engine.connect() as connection:
            for entry in DOMAINS:
                metadata = load(f"{entry.package}.models:Base").metadata
                differences[entry.name] = await connection.run_sync(
                    _compare, metadata=metadata, schema=entry.name
                )
    finally:
        await engine.dispose()

    assert differences == {entry.name: [] for entry in DOMAINS}


def _compare(connection: Connection, *, metadata: MetaData, schema: str) -> list[object]:
    def include_name(name: str | None, type_: str, parent_names: object) -> bool:
        return name == schema if type_ == "schema" else True

    context = MigrationContext.configure(
        connection,
        opts={"include_schemas": True, "include_name": include_name, "compare_type": True},
    )
    return list(compare_metadata(context, metadata))
