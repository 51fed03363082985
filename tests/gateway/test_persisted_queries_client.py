"""Apollo Client's PersistedQueryLink (npm `@apollo/client`) against the platform.

The platform runs under uvicorn over the run's Postgres and Redis;
`tools/apollo-client/persisted.mjs` is the client. With GET for hashed queries: a cold
miss, the retry with the document, then a hit that a CDN may cache; a partner key runs
an operation of its manifest (catalog-feed, committed) by id alone, and is refused a
query of its own with OPERATION_NOT_IN_MANIFEST.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import subprocess
from typing import Any

import pytest

from domains.kit.config import Settings
from domains.kit.db import sqlalchemy_url
from domains.kit.resources import Resources
from gateway.partners import admin
from shopgraph.platform import build_platform_app
from tests.gateway.edge import OPERATIONS_DIR, REPO_ROOT, serve_app
from tests.support.apollo import default_toolchain, ensure_npm_packages

pytestmark = pytest.mark.slow

TOOLS_DIR = REPO_ROOT / "tools" / "apollo-client"
MANIFEST = OPERATIONS_DIR / "catalog-feed.json"
# What Apollo Client prints for the script's Listing query (addTypename off).
LISTING = (
    "query Listing {\n  products(first: 3) {\n    totalCount\n    nodes {\n      name\n"
    "    }\n  }\n}"
)


def _exchanges(run: dict[str, Any]) -> list[tuple[str, bool, int, list[str | None]]]:
    return [(x["method"], x["sentDocument"], x["status"], x["codes"]) for x in run["exchanges"]]


async def test_persisted_queries_and_a_partner_through_apollo_client(
    settings: Settings, partners_table: Resources
) -> None:
    toolchain = default_toolchain()
    ensure_npm_packages(TOOLS_DIR, toolchain)
    assert settings.database_url is not None
    _, key = await admin.create_partner(
        sqlalchemy_url(settings.database_url), "feedco", "catalog-feed", {"catalog-feed"}
    )
    app = build_platform_app(dataclasses.replace(settings, gateway_operations_dir=OPERATIONS_DIR))
    with serve_app(app) as base_url:
        # Off the event loop: a test coroutine must not block it.
        process = await asyncio.to_thread(
            subprocess.run,
            [
                toolchain[0],
                str(TOOLS_DIR / "persisted.mjs"),
                f"{base_url}/graphql",
                str(MANIFEST),
                key,
            ],
            cwd=TOOLS_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert process.returncode == 0, process.stderr
    result = json.loads(process.stdout)

    # Cold: the hash alone over GET misses; Apollo retries with the document (POST).
    assert _exchanges(result["cold"]) == [
        ("GET", False, 200, ["PERSISTED_QUERY_NOT_FOUND"]),
        ("POST", True, 200, []),
    ]
    # Warm: the hash alone over GET hits, and a CDN may keep the answer.
    assert _exchanges(result["warm"]) == [("GET", False, 200, [])]
    assert result["warm"]["exchanges"][0]["cacheControl"] == "public, max-age=60"
    assert result["warm"]["data"] == result["cold"]["data"]
    assert result["cold"]["data"]["products"]["totalCount"] == 0
    stored = await partners_table.redis.get(
        f"{settings.redis_key_prefix}gw:apq:{hashlib.sha256(LISTING.encode()).hexdigest()}"
    )
    assert stored == LISTING.encode()

    # The partner's manifest operation, by id alone.
    assert _exchanges(result["partner"]) == [("GET", False, 200, [])]
    assert result["partner"]["data"]["products"]["nodes"] == []
    # ...and its own query, refused with a code that says why.
    assert result["refused"]["refusal"]["status"] == 403
    assert result["refused"]["refusal"]["codes"] == ["OPERATION_NOT_IN_MANIFEST"]
