"""`shopgraph db backup` / `db restore`: a seeded database survives the round trip."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from domains.kit.config import Settings
from domains.kit.seeding import SeedOptions
from shopgraph import backends
from shopgraph.backup import BackupError, backup, choose_tool, libpq_connection
from shopgraph.cli import main
from shopgraph.provisioning import migrate_all, seed_all
from shopgraph.registry import DOMAINS

# Tables compared row by row (md5 of every row in a fixed order), when they exist.
CHECKSUMMED = ("users.users", "products.products", "orders.orders")
ROWS_MD5 = "md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def fresh_databases(settings: Settings) -> Iterator[tuple[str, str]]:
    """Two empty databases on the test server: a source and a restore target."""
    assert settings.database_url is not None
    admin_url = settings.database_url
    names = [f"shopgraph_backup_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("src", "dst")]
    for name in names:
        asyncio.run(_execute(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield (
            backends.with_database(admin_url, names[0]),
            backends.with_database(admin_url, names[1]),
        )
    finally:
        for name in names:
            asyncio.run(_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, *args: str) -> int:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("SHOPGRAPH_EMBEDDED", "0")
    monkeypatch.setenv("SHOPGRAPH_DATA_DIR", str(tmp_path / "data"))
    return main(list(args))


@dataclasses.dataclass(frozen=True)
class Snapshot:
    counts: dict[str, int]
    checksums: dict[str, str]


async def _snapshot(url: str) -> Snapshot:
    schemas = [entry.name for entry in DOMAINS]
    connection = await asyncpg.connect(url)
    try:
        tables = [
            row["name"]
            for row in await connection.fetch(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name "
                "FROM pg_tables WHERE schemaname = ANY($1::text[]) "
                "OR (schemaname = 'public' AND tablename LIKE 'alembic_version_%') ORDER BY 1",
                schemas,
            )
        ]
        # Table names come from pg_tables, quoted by quote_ident.
        counts = {
            table: int(await connection.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in tables
        }
        checksums = {
            table: str(await connection.fetchval(f"SELECT {ROWS_MD5} FROM {table} AS t"))  # noqa: S608
            for table in CHECKSUMMED
            if table in counts
        }
        return Snapshot(counts, checksums)
    finally:
        await connection.close()


def test_backup_restores_into_a_fresh_database_row_for_row(
    settings: Settings,
    fresh_databases: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, target = fresh_databases
    source_settings = dataclasses.replace(settings, database_url=source)
    migrate_all(source_settings)
    asyncio.run(seed_all(source_settings, SeedOptions(sellers=3, customers=5, products=50)))
    dump = tmp_path / "shopgraph.dump"

    assert _cli(monkeypatch, tmp_path, source, "db", "backup", str(dump)) == 0
    assert _cli(monkeypatch, tmp_path, target, "db", "restore", str(dump)) == 0

    before, after = asyncio.run(_snapshot(source)), asyncio.run(_snapshot(target))
    assert after == before
    assert before.counts["products.products"] == 50
    assert before.counts["users.users"] > 0
    assert {"users.users", "products.products"} <= before.checksums.keys()
    # Every domain's schema and its migration state came back, not only the seeded rows.
    for entry in DOMAINS:
        assert any(table.startswith(f"{entry.name}.") for table in after.counts), entry.name
        assert f"public.alembic_version_{entry.name}" in after.counts
    assert not list(tmp_path.glob(".*.partial"))
    output = capsys.readouterr().out
    assert f"backed up to {dump}" in output
    assert f"restored {dump}" in output


def test_restore_refuses_a_database_that_is_not_empty_unless_clean(
    settings: Settings,
    fresh_databases: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, target = fresh_databases
    migrate_all(dataclasses.replace(settings, database_url=source))  # tables, no rows
    dump = tmp_path / "schema-only.dump"
    assert _cli(monkeypatch, tmp_path, source, "db", "backup", str(dump)) == 0
    assert _cli(monkeypatch, tmp_path, target, "db", "restore", str(dump)) == 0

    assert _cli(monkeypatch, tmp_path, target, "db", "restore", str(dump)) == 1
    assert "pass --clean" in capsys.readouterr().err
    assert _cli(monkeypatch, tmp_path, target, "db", "restore", "--clean", str(dump)) == 0


def test_restore_of_a_file_that_is_no_backup_says_so(
    settings: Settings,
    fresh_databases: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, target = fresh_databases
    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a dump\n")

    assert _cli(monkeypatch, tmp_path, target, "db", "restore", str(garbage)) == 1
    assert "is not a backup any pg_restore here can read" in capsys.readouterr().err
    assert asyncio.run(_snapshot(target)).counts == {}


def _fake_tool(directory: Path, name: str, version: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    tool = directory / name
    tool.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
    tool.chmod(0o755)
    return tool


def test_a_pg_dump_older_than_the_server_is_a_clear_error(
    settings: Settings, tmp_path: Path
) -> None:
    assert settings.database_url is not None
    old = _fake_tool(tmp_path / "old", "pg_dump", "9.6.24")

    with pytest.raises(BackupError) as raised:
        backup(settings.database_url, tmp_path / "never.dump", candidates=[old])

    message = str(raised.value)
    assert "pg_dump version mismatch" in message
    assert f"{old} is 9" in message
    assert "postgresql-client-" in message
    assert not (tmp_path / "never.dump").exists()


def test_the_server_version_wins_then_the_closest_newer_tool(tmp_path: Path) -> None:
    v18 = _fake_tool(tmp_path / "a", "pg_dump", "18.1")
    v15 = _fake_tool(tmp_path / "b", "pg_dump", "15.20 (Debian 15.20-0+deb12u1)")
    v16 = _fake_tool(tmp_path / "c", "pg_dump", "16.4")

    assert choose_tool("pg_dump", 15, [v18, v15, v16]).path == v15
    assert choose_tool("pg_dump", 15, [v18, v16]).path == v16
    assert choose_tool("pg_dump", 18, [v15, v18]).major == 18
    with pytest.raises(BackupError, match="PostgreSQL 17"):
        choose_tool("pg_dump", 17, [v15, v16])


def test_database_urls_reach_libpq_without_the_password_on_the_command_line() -> None:
    connection = libpq_connection(
        "postgresql+asyncpg://shop:s3cret@db.internal:5432/shopgraph?ssl=require"
    )

    assert connection.url == "postgresql://shop@db.internal:5432/shopgraph?sslmode=require"
    assert connection.env == {"PGPASSWORD": "s3cret"}
    assert libpq_connection("postgres://db/x").url == "postgresql://db/x"
    embedded = libpq_connection("postgresql://postgres:@/postgres?host=/tmp/pg")
    assert embedded.url == "postgresql://postgres@/postgres?host=%2Ftmp%2Fpg"
    assert embedded.env == {}
