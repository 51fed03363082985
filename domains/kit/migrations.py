"""Alembic, driven per domain.

Each domain keeps its own migration history in `domains/<name>/migrations`, and its
own version table (`public.alembic_version_<name>`), so a domain can be lifted into its
own database without untangling a shared history. The version table lives outside the
domain's schema so that migrating down to base removes the schema entirely.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine

from domains.kit.db import sqlalchemy_url


@dataclass(frozen=True)
class DomainMigrations:
    domain: str
    directory: Path

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.domain}"

    def config(self, database_url: str) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.directory))
        config.set_main_option("version_locations", str(self.directory / "versions"))
        config.set_main_option("path_separator", "os")
        config.attributes["database_url"] = database_url
        # For environments that cannot import this module (the gateway's): the URL ready
        # for SQLAlchemy's asyncpg dialect.
        config.attributes["sqlalchemy_url"] = sqlalchemy_url(database_url)
        config.attributes["domain"] = self.domain
        config.attributes["version_table"] = self.version_table
        return config

    def upgrade(self, database_url: str, revision: str = "head") -> None:
        command.upgrade(self.config(database_url), revision)

    def downgrade(self, database_url: str, revision: str = "-1") -> None:
        command.downgrade(self.config(database_url), revision)

    def create(self, database_url: str, message: str, *, autogenerate: bool = True) -> None:
        # Sequential ids (0001, 0002, ...) read better in a domain's history than hashes.
        existing = list((self.directory / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
        command.revision(
            self.config(database_url),
            message=message,
            autogenerate=autogenerate,
            rev_id=f"{len(existing) + 1:04d}",
        )

    def heads(self) -> tuple[str, ...]:
        script = ScriptDirectory.from_config(self.config("postgresql://unused"))
        return tuple(script.get_heads())

    async def current(self, database_url: str) -> tuple[str, ...]:
        engine = create_async_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(self._current_sync)
        finally:
            await engine.dispose()

    def _current_sync(self, connection: Connection) -> tuple[str, ...]:
        context = MigrationContext.configure(
            connection, opts={"version_table": self.version_table, "version_table_schema": "public"}
        )
        return tuple(context.get_current_heads())


def run_env(target_metadata: MetaData) -> None:
    """The body of every domain's env.py: online migrations over asyncpg."""
    from alembic import context  # a proxy that alembic only populates while it runs env.py

    config = context.config
    schema = str(config.attributes["domain"])
    version_table = str(config.attributes["version_table"])

    def include_name(name: str | None, type_: str, parent_names: object) -> bool:
        # Autogenerate compares only this domain's schema, never its neighbours'.
        return name == schema if type_ == "schema" else True

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=version_table,
            version_table_schema="public",
            include_schemas=True,
            include_name=include_name,
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(
            sqlalchemy_url(str(config.attributes["database_url"])), poolclass=pool.NullPool
        )
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    if context.is_offline_mode():
        raise RuntimeError("offline (--sql) migrations are not supported; run against a database")
    _run_coroutine(run_async())


def _run_coroutine(coroutine: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    # Called from inside an event loop (a test or `serve`): alembic is synchronous, so
    # run the migration on a private loop in a worker thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, coroutine).result()
