"""GraphiQL, served entirely by the gateway.

The fast tests read the page and its assets over ASGI. The slow one loads it in headless
Chromium (Debian's `chromium`, driven by npm `playwright-core`) with every request
outside 127.0.0.1 blocked, runs the first example and reads the result.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import re
import subprocess
from pathlib import Path

import pytest

from domains.kit.config import AppEnv, Settings
from domains.kit.resources import Resources
from shopgraph.platform import build_platform_app
from tests.gateway.edge import OPERATIONS_DIR, REPO_ROOT, client_of, serve_app, topology_gateway
from tests.support.apollo import default_toolchain, ensure_npm_packages
from tests.support.chromium import chromium

BROWSER_TOOLS = REPO_ROOT / "tools" / "browser"
HTML = {"accept": "text/html,application/xhtml+xml"}
EXAMPLES = [
    "StorefrontListing",
    "ProductPage",
    "SignIn",
    "Cart",
    "ApplyVoucher",
    "CartTotals",
    "Checkout",
]


async def test_the_page_loads_nothing_from_elsewhere() -> None:
    async with client_of(topology_gateway()) as client:
        page = await client.get("/graphql", headers=HTML)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert all(source.startswith("/graphiql/") for source in sources), sources
    assert "default-src 'self'" in page.headers["content-security-policy"]


async def test_assets_are_served_compressed_or_plain() -> None:
    async with client_of(topology_gateway()) as client:
        compressed = await client.get("/graphiql/graphiql.js", headers={"accept-encoding": "gzip"})
        plain = await client.get("/graphiql/react.js", headers={"accept-encoding": "identity"})
        missing = await client.get("/graphiql/nope.js")

    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.headers["content-type"].startswith("text/javascript")
    assert "GraphiQL" in compressed.text  # httpx decoded it
    assert "content-encoding" not in plain.headers
    assert plain.content == gzip.decompress(
        (REPO_ROOT / "gateway/graphiql/static/react.js.gz").read_bytes()
    )
    assert missing.status_code == 404


async def test_examples_are_preloaded_and_those_the_schema_lacks_say_so(
    settings: Settings, resources: Resources
) -> None:
    app = build_platform_app(dataclasses.replace(settings, gateway_operations_dir=OPERATIONS_DIR))
    async with client_of(app) as client:
        page = await client.get("/graphql", headers=HTML)
    topology = topology_gateway(graphiql_examples=OPERATIONS_DIR / "examples")
    async with client_of(topology) as client:
        elsewhere = await client.get("/graphql", headers=HTML)

    tabs = _tabs(page.text)
    assert [_operation_name(tab["query"]) for tab in tabs] == EXAMPLES
    assert all('"Authorization"' in tab["headers"] for tab in tabs)
    assert json.loads(tabs[0]["variables"])["first"] == 24
    # The platform's schema has them all; the test topology's has none of them.
    assert not any("Not available" in tab["query"] for tab in tabs)
    assert all(tab["query"].startswith("# Not available") for tab in _tabs(elsewhere.text))


async def test_graphiql_is_off_in_production_unless_enabled(
    settings: Settings, resources: Resources
) -> None:
    production = dataclasses.replace(
        settings,
        app_env=AppEnv.PRODUCTION,
        gateway_operations_dir=OPERATIONS_DIR,
        stripe_api_key="sk_test_graphiql",  # production takes payments through Stripe
    )
    enabled = dataclasses.replace(production, gateway_graphiql=True)

    async with client_of(build_platform_app(production)) as client:
        off = await client.get("/graphql", headers=HTML)
    async with client_of(build_platform_app(enabled)) as client:
        on = await client.get("/graphql", headers=HTML)

    assert off.status_code == 406  # no page; and a browser accepts no GraphQL response
    assert on.status_code == 200
    assert on.headers["content-type"].startswith("text/html")


def _tabs(page: str) -> list[dict[str, str]]:
    match = re.search(r'<script type="application/json" id="graphiql-config">(.*?)</script>', page)
    assert match is not None
    tabs: list[dict[str, str]] = json.loads(match.group(1).replace("<\\/", "</"))["tabs"]
    return tabs


def _operation_name(query: str) -> str:
    match = re.search(r"^(?:query|mutation) (\w+)", query, re.MULTILINE)
    assert match is not None, query
    return match.group(1)


@pytest.mark.slow
async def test_graphiql_runs_a_query_in_chromium_with_the_internet_blocked(
    settings: Settings, resources: Resources
) -> None:
    browser = await asyncio.to_thread(chromium)
    toolchain = default_toolchain()
    ensure_npm_packages(BROWSER_TOOLS, toolchain)
    app = build_platform_app(dataclasses.replace(settings, gateway_operations_dir=OPERATIONS_DIR))
    with serve_app(app) as base_url:
        process = await asyncio.to_thread(
            subprocess.run,
            [toolchain[0], str(BROWSER_TOOLS / "graphiql.mjs"), f"{base_url}/graphql", browser],
            cwd=BROWSER_TOOLS,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert process.returncode == 0, process.stderr[-3000:]
    seen = json.loads(process.stdout)

    assert seen["blocked"] == []
    assert {Path(url).name for url in seen["served"]} >= {
        "graphql",
        "graphiql.css",
        "react.js",
        "react-dom.js",
        "graphiql.js",
        "init.js",
    }
    assert seen["consoleErrors"] == []
    assert [tab.strip() for tab in seen["tabs"]] == EXAMPLES
    assert "Authorization" in seen["headers"]
    result = json.loads(seen["result"])
    assert result == {
        "data": {
            "products": {
                "totalCount": 0,
                "pageInfo": {"hasNextPage": False, "endCursor": None},
                "edges": [],
                "facets": {"categories": [], "inStock": 0, "outOfStock": 0},
            }
        }
    }
