"""The storefront (storefront/, Next.js): its type check, lint and unit tests, and its
Chromium journeys against `shopgraph serve` on a fresh database and the production build:
the storefront as a first-party client, and a price changed through the API reaching
the cached product page through the revalidation route."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from domains.kit.config import Settings
from shopgraph import backends
from tests.support.apollo import find_node, npm_command
from tests.support.chromium import chromium

STOREFRONT = Path(__file__).resolve().parents[2] / "storefront"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def npm() -> tuple[str, list[str]]:
    node, npm_path = find_node(min_major=20)
    env_path = f"{Path(node).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    lock = STOREFRONT / "package-lock.json"
    installed = STOREFRONT / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            npm_command(node, npm_path, "ci", "--no-audit", "--no-fund"),
            cwd=STOREFRONT,
            check=True,
            env={**os.environ, "PATH": env_path},
        )
    return env_path, npm_command(node, npm_path)


def _run(npm: tuple[str, list[str]], script: str, env: dict[str, str] | None = None) -> str:
    env_path, command = npm
    finished = subprocess.run(
        [*command, "run", script],
        cwd=STOREFRONT,
        env={**(env or os.environ), "PATH": env_path, "NEXT_TELEMETRY_DISABLED": "1"},
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert finished.returncode == 0, (
        f"npm run {script}:\n{finished.stdout[-6000:]}\n{finished.stderr[-6000:]}"
    )
    return finished.stdout


def test_storefront_types_lint_and_units(npm: tuple[str, list[str]]) -> None:
    _run(npm, "typecheck")
    _run(npm, "lint")
    assert "passed" in _run(npm, "test")


def _admin(server: str, statement: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(server)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def test_storefront_journeys_in_chromium(
    npm: tuple[str, list[str]], settings: Settings, tmp_path: Path
) -> None:
    browser = chromium()
    assert settings.database_url is not None
    assert settings.redis_url is not None
    server = backends.with_database(settings.database_url, "postgres")
    name = f"shopgraph_storefront_{uuid.uuid4().hex[:8]}"
    _admin(server, f'CREATE DATABASE "{name}"')
    shopgraph = shutil.which("shopgraph") or str(Path(sys.executable).parent / "shopgraph")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "JWT_"))
    }
    env.update(
        APP_ENV="development",
        DATABASE_URL=backends.with_database(server, name),
        REDIS_URL=settings.redis_url,
        REDIS_KEY_PREFIX=f"{settings.redis_key_prefix}storefront:",
        SHOPGRAPH_DATA_DIR=str(tmp_path / "data"),
        SHOPGRAPH_BIN=shopgraph,
        CHROMIUM_PATH=browser,
    )
    try:
        output = _run(npm, "e2e", env)
    finally:
        _admin(server, f'DROP DATABASE "{name}" WITH (FORCE)')
    assert "no document text" in output
    assert "PAID" in output
    assert "shows on the cached product page" in output
