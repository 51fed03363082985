"""The bench's SQL floor answers every workload exactly as the platform does.

The benchmark compares systems only after checking their answers equal; this holds the
floor's hand-written statements to the platform's answers on a small seeded catalog, so
a change to either side that makes them drift fails here rather than in a bench run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bench.data import parse_size
from bench.floor import build_app
from bench.run import find_targets
from bench.workloads import listing_body, workloads
from domains.kit.config import Settings
from domains.kit.resources import Resources
from domains.kit.seeding import SeedOptions
from shopgraph.platform import build_platform_app
from shopgraph.provisioning import seed_all


@pytest.fixture
async def seeded(settings: Settings, resources: Resources) -> Settings:
    await seed_all(settings, SeedOptions(sellers=4, customers=12, products=60))
    return settings


@pytest.fixture
async def platform(seeded: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = build_platform_app(seeded)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        yield http


@pytest.fixture
async def floor(seeded: Settings) -> AsyncIterator[httpx.AsyncClient]:
    assert seeded.database_url is not None
    app = build_app(seeded.database_url, pool_size=2)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://floor") as http,
    ):
        yield http


async def _data(client: httpx.AsyncClient, body: dict[str, object]) -> object:
    response = await client.post("/graphql", json=body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert "errors" not in payload, payload
    return payload["data"]


async def test_floor_answers_every_workload_as_the_gateway_does(
    seeded: Settings, platform: httpx.AsyncClient, floor: httpx.AsyncClient
) -> None:
    assert seeded.database_url is not None
    targets = await find_targets(seeded.database_url)
    for workload in workloads(targets):
        ours = await _data(platform, workload.body)
        assert ours == await _data(floor, workload.body), workload.name
    # Something to compare: the workloads found products, reviews and a search hit.
    product = (await _data(platform, workloads(targets)[1].body))["product"]  # type: ignore[index]
    assert product["reviews"]["edges"]


async def test_floor_listing_matches_at_every_page_size(
    platform: httpx.AsyncClient, floor: httpx.AsyncClient
) -> None:
    for size in (1, 7, 24, 100):
        body = listing_body(size)
        ours = await _data(platform, body)
        assert ours == await _data(floor, body)
        assert 0 < len(ours["products"]["edges"]) <= size  # type: ignore[index]


def test_sizes_read_as_product_counts() -> None:
    assert [parse_size(text) for text in ("10k", "100K", "1m", "2500")] == [
        10_000,
        100_000,
        1_000_000,
        2_500,
    ]
