"""`/metrics` on a subgraph: traffic moves the request counters, the latency histogram,
the pool gauges, the cache hit ratio and the active-users gauge."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from domains.kit.app import Runtime
from domains.kit.config import Settings
from domains.kit.metrics import watch_pool
from domains.kit.resources import Resources
from shopgraph.platform import build_platform_app
from shopgraph.registry import load
from tests.domains.users.helpers import insert_user, start_session

LISTING = "{ products(first: 5) { edges { node { name variants { sku } } } } }"


@pytest.fixture
async def products_http(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    from domains.kit.db import transaction
    from domains.kit.seeding import SeedOptions

    for name in ("users", "products"):
        async with transaction(resources.session_factory) as session:
            await load(f"domains.{name}.seed:seed")(
                session, SeedOptions(sellers=2, customers=2, products=6)
            )
    app = load("domains.products.app:create_app")(
        Runtime(resources.settings, resources), manage_resources=False
    )
    watch_pool("products", resources.engine, resources.settings.database_pool_max)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://p"
    ) as client:
        yield client


async def _samples(
    client: httpx.AsyncClient,
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_traffic_moves_the_counters_and_the_cache_hit_ratio(
    products_http: httpx.AsyncClient, resources: Resources
) -> None:
    before = await _samples(products_http)

    for _ in range(3):
        response = await products_http.post("/graphql", json={"query": LISTING})
        assert "errors" not in response.json()
    await products_http.post("/graphql", json={"query": "{ nope }"})
    after = await _samples(products_http)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert (
        moved("shopgraph_requests_total", service="products", operation="products", status="ok")
        == 3
    )
    assert (
        moved("shopgraph_requests_total", service="products", operation="nope", status="error") == 1
    )
    assert moved("shopgraph_request_duration_seconds_count", service="products") == 4
    # The first listing fills the cache with each product's variants, the next two read
    # them back: twice as many hits as misses.
    hits = moved(
        "shopgraph_cache_requests_total", service="products", entity="variants-of", result="hit"
    )
    misses = moved(
        "shopgraph_cache_requests_total", service="products", entity="variants-of", result="miss"
    )
    assert misses > 0
    assert hits >= 2 * misses
    assert _value(after, "shopgraph_db_pool_max_connections", service="products") == (
        resources.settings.database_pool_max
    )
    assert ("shopgraph_db_pool_connections", (("service", "products"), ("state", "idle"))) in after


async def test_active_users_counts_recent_sign_ins(resources: Resources) -> None:
    from domains.users.app import refresh_active_users

    ada = await insert_user(resources, "ada@example.com")
    grace = await insert_user(resources, "grace@example.com")
    await start_session(resources, ada)
    await start_session(resources, ada)
    await start_session(resources, grace)

    assert await refresh_active_users(resources) == 2


async def test_the_platform_exposes_gateway_and_subgraph_metrics(
    products_http: httpx.AsyncClient, settings: Settings
) -> None:
    app = build_platform_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as client,
    ):
        before = await _samples(client)
        ok = await client.post("/graphql", json={"query": LISTING})
        refused = await client.post("/graphql", json={"query": "{ nope }"})
        after = await _samples(client)

    assert "errors" not in ok.json()
    assert "errors" in refused.json()

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    gateway = {"service": "gateway", "operation": "anonymous"}
    assert moved("shopgraph_requests_total", **gateway, status="ok") == 1
    assert moved("shopgraph_requests_total", **gateway, status="error") == 1
    assert moved("shopgraph_request_duration_seconds_count", service="gateway") == 2
    # The in-process subgraph behind it counted its own part of the work.
    assert (
        moved("shopgraph_requests_total", service="products", operation="products", status="ok")
        == 1
    )
