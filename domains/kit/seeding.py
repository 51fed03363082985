"""Options shared by every domain's deterministic seed data, and the index handling of
a bulk load into empty tables."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# uuid5 ids under this namespace make seed rows identical across runs and machines, so
# domains can refer to each other's seed rows (a product's seller) without a lookup.
SEED_NAMESPACE = uuid.UUID("5e3d0a9c-6f1b-4c55-9a59-0d7e8c1f2b3a")

# Published in the README: the demo accounts exist only in seeded development data.
DEMO_PASSWORD = "shopgraph-demo"  # noqa: S105


def seed_id(kind: str, key: str | int) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, f"{kind}:{key}")


@dataclass(frozen=True)
class SeedOptions:
    sellers: int = 10
    customers: int = 20
    products: int = 200
    random_seed: int = 42
    # The local media store (Settings.data_dir / "media") to draw pictures for the seeded
    # product images into; None draws none (the bench's large catalogs, tests).
    media_dir: Path | None = None


async def drop_secondary_indexes(
    session: AsyncSession, schema: str, tables: Sequence[str]
) -> list[str]:
    """Drop the indexes of `tables` that back no constraint, returning their definitions
    for `create_indexes`: a bulk load into empty tables, then one build per index, is
    several times faster than maintaining every index (GIN above all) row by row.
    Primary keys and unique constraints stay, so bad rows still fail the load."""
    rows = await session.execute(
        text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = :schema AND t.relname = ANY(:tables) "
            "AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY 1"
        ),
        {"schema": schema, "tables": list(tables)},
    )
    found = [(str(name), str(definition)) for name, definition in rows.all()]
    for name, _ in found:
        await session.execute(text(f"DROP INDEX {name}"))
    return [definition for _, definition in found]


async def create_indexes(session: AsyncSession, definitions: Sequence[str]) -> None:
    """Build the indexes `drop_secondary_indexes` dropped, with memory enough to sort
    a million rows in one pass."""
    await session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for definition in definitions:
        await session.execute(text(definition))
