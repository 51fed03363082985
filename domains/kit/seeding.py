"""Options shared by every domain's deterministic seed data, and the index handling of
a bulk load into empty tables."""

from __future__ import annotations

import hashlib
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


_NAMESPACE_BYTES = SEED_NAMESPACE.bytes
# uuid5's version and variant bits: version 5, RFC 4122 variant.
_CLEAR_BITS = ~((0xF000 << 64) | (0xC000 << 48))
_SET_BITS = (5 << 76) | (0x8000 << 48)


def seed_id(kind: str, key: str | int) -> uuid.UUID:
    """uuid5(SEED_NAMESPACE, "kind:key"), computed as uuid.uuid5 does but without its
    per-call conversions: a million-product seed makes tens of millions of these."""
    digest = hashlib.sha1(_NAMESPACE_BYTES + f"{kind}:{key}".encode(), usedforsecurity=False)
    value = object.__new__(uuid.UUID)
    set_slot = object.__setattr__
    set_slot(value, "int", (int.from_bytes(digest.digest()[:16]) & _CLEAR_BITS) | _SET_BITS)
    set_slot(value, "is_safe", uuid.SafeUUID.unknown)
    return value


@dataclass(frozen=True)
class SeedOptions:
    sellers: int = 10
    customers: int = 20
    products: int = 200
    random_seed: int = 42
    # The local media store (Settings.data_dir / "media") to draw pictures for the seeded
    # product images into; None draws none (the bench's large catalogs, tests).
    media_dir: Path | None = None


async def drop_indexes_and_constraints(
    session: AsyncSession, schema: str, tables: Sequence[str]
) -> list[str]:
    """Drop the foreign keys, keys and indexes of `tables` (empty, about to be bulk
    loaded) and return the statements that put them back, in order, for
    `restore_indexes_and_constraints`. Maintaining a dozen indexes (GIN above all) and
    checking a foreign key row by row costs several times what one build and one
    validation after the load do; as the indexes outgrow memory, more so."""
    params = {"schema": schema, "tables": list(tables)}
    in_tables = (
        "SELECT t.oid FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = :schema AND t.relname = ANY(:tables)"
    )
    constraints = (
        await session.execute(
            text(
                "SELECT c.contype::text, c.conrelid::regclass::text, quote_ident(c.conname), "  # noqa: S608 - our own SQL
                "pg_get_constraintdef(c.oid) FROM pg_constraint c "
                f"WHERE c.contype IN ('f', 'p', 'u') AND (c.conrelid IN ({in_tables}) "
                f"OR c.confrelid IN ({in_tables})) "
                "ORDER BY c.contype = 'f' DESC, 2, 3"
            ),
            params,
        )
    ).all()
    indexes = (
        await session.execute(
            text(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "  # noqa: S608 - our own SQL
                f"FROM pg_index i WHERE i.indrelid IN ({in_tables}) AND NOT EXISTS "
                "(SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid "
                "AND c.contype IN ('p', 'u', 'x')) ORDER BY 1"
            ),
            params,
        )
    ).all()
    # Foreign keys go first (a key cannot go while one refers to it), come back last.
    for _, table, name, _ in constraints:
        await session.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
    for name, _ in indexes:
        await session.execute(text(f"DROP INDEX {name}"))
    keys = [
        f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
        for kind, table, name, definition in constraints
        if kind != "f"
    ]
    foreign_keys = [
        f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
        for kind, table, name, definition in constraints
        if kind == "f"
    ]
    return keys + [str(definition) for _, definition in indexes] + foreign_keys


async def restore_indexes_and_constraints(session: AsyncSession, statements: Sequence[str]) -> None:
    """Run what `drop_indexes_and_constraints` returned, with memory enough to sort a
    million rows in one pass."""
    await session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for statement in statements:
        await session.execute(text(statement))
