"""Alembic environment of the gateway's own schema (`gateway`).

`shopgraph migrate` drives it like a domain's (domains/kit/migrations.py sets the
database URL, the schema and the version table `public.alembic_version_gateway`); the
body is a small copy of the domains' `run_env`, because the gateway imports no domain
code, the kit included.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.partners.models import SCHEMA, Base

config = context.config
if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run against a database")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return name == SCHEMA if type_ == "schema" else True


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=str(config.attributes["version_table"]),
        version_table_schema="public",
        include_schemas=True,
        include_name=include_name,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async() -> None:
    engine = create_async_engine(str(config.attributes["sqlalchemy_url"]), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run)
            await connection.commit()
    finally:
        await engine.dispose()


try:
    asyncio.get_running_loop()
except RuntimeError:
    asyncio.run(run_async())
else:
    # Called from inside an event loop (a test, `serve`): alembic is synchronous, so the
    # migration runs on a private loop in a worker thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, run_async()).result()
