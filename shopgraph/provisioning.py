"""Bringing a database to shape: every domain's migrations, then the demo data."""

from __future__ import annotations

from domains.kit.config import Settings
from domains.kit.seeding import SeedOptions
from shopgraph.registry import DOMAINS, MIGRATED, load, migrated


def migrate_all(
    settings: Settings, action: str = "up", *, only: str | None = None, to: str | None = None
) -> None:
    assert settings.database_url is not None
    entries = [migrated(only)] if only else list(MIGRATED)
    if action == "down":
        entries.reverse()  # later domains may depend on earlier ones' data, never the reverse
    for entry in entries:
        from domains.kit.migrations import DomainMigrations

        migrations = DomainMigrations(entry.name, entry.migrations_directory)
        if action == "up":
            migrations.upgrade(settings.database_url, to or "head")
        elif action == "down":
            migrations.downgrade(settings.database_url, to or "-1")


async def seed_all(settings: Settings, options: SeedOptions) -> dict[str, dict[str, int]]:
    from domains.kit.db import create_engine, create_session_factory, transaction

    engine = create_engine(settings)
    try:
        factory = create_session_factory(engine)
        counts = {}
        for entry in DOMAINS:
            async with transaction(factory) as session:
                counts[entry.name] = await load(entry.seed)(session, options)
        return counts
    finally:
        await engine.dispose()
