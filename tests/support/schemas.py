"""Tables of a test's own, in a Postgres schema made for it and dropped after."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy import MetaData, text

from domains.kit.resources import Resources

T = TypeVar("T")


@asynccontextmanager
async def scratch_schema(
    resources: Resources, prefix: str, build: Callable[[MetaData], T]
) -> AsyncIterator[T]:
    """`build` declares tables on a fresh schema's metadata; they exist inside the block."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    metadata = MetaData(schema=schema)
    built = build(metadata)
    async with resources.engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {schema}"))
        await connection.run_sync(metadata.create_all)
    try:
        yield built
    finally:
        async with resources.engine.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
