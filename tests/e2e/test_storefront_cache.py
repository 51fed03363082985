"""The storefront listing through the gateway runs no SQL once the caches are warm, and
few Redis round trips.

The bench's listing (24 products, each with `seller { shopName }`) goes to the products
subgraph and then to the users subgraph's `_entities` for the shops; with both domains'
entity caches warm, the second identical request is answered from Redis alone. Every
statement any engine of the process sends, and every command any Redis client sends, is
counted; the workers are off, so none run in the background. The counts are printed
(`pytest -s`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from redis.asyncio.client import Pipeline, Redis
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.workloads import listing_body
from domains.kit.app import Runtime
from domains.kit.config import Settings
from domains.kit.resources import Resources
from domains.kit.seeding import SeedOptions
from shopgraph.platform import build_platform_app
from shopgraph.provisioning import seed_all


@pytest.fixture
async def shop(settings: Settings, resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    await seed_all(settings, SeedOptions(sellers=4, customers=2, products=30))
    app = build_platform_app(settings, Runtime(settings, workers_enabled=False))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        yield http


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement sent by any engine in this process while the test runs."""
    sent: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_a_warm_storefront_listing_runs_no_sql(
    shop: httpx.AsyncClient, statements: list[str]
) -> None:
    body = listing_body(24)

    statements.clear()
    cold = await shop.post("/graphql", json=body)
    cold_statements = list(statements)
    statements.clear()
    warm = await shop.post("/graphql", json=body)

    print(
        f"\nstorefront listing (24 products with their shops) through the gateway: "
        f"{len(cold_statements)} SQL statements cold, {len(statements)} warm"
    )
    assert cold.status_code == warm.status_code == 200
    assert "errors" not in cold.json(), cold.json()
    edges = cold.json()["data"]["products"]["edges"]
    assert len(edges) == 24
    assert all(edge["node"]["seller"]["shopName"] for edge in edges)
    assert any("FROM users.seller_profiles" in sql for sql in cold_statements)
    assert statements == []
    assert warm.json() == cold.json()


@pytest.fixture
def redis_round_trips(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every round trip any Redis client in this process makes while the test runs: a
    command with its arguments, or a pipeline as its commands' names. The real client
    runs; it is only watched."""
    sent: list[list[str]] = []
    execute_command: Any = Redis.execute_command
    pipeline_execute: Any = Pipeline.execute

    async def command(self: Redis, *args: Any, **options: Any) -> Any:
        sent.append([str(arg) for arg in args])
        return await execute_command(self, *args, **options)

    async def pipeline(self: Pipeline, raise_on_error: bool = True) -> Any:
        sent.append([str(queued[0][0]) for queued in self.command_stack])
        return await pipeline_execute(self, raise_on_error)

    monkeypatch.setattr(Redis, "execute_command", command)
    monkeypatch.setattr(Pipeline, "execute", pipeline)
    return sent


async def test_a_warm_listing_reads_its_products_and_all_they_show_in_one_round_trip(
    shop: httpx.AsyncClient, redis_round_trips: list[list[str]]
) -> None:
    body = listing_body(24)
    await shop.post("/graphql", json=body)
    redis_round_trips.clear()

    warm = await shop.post("/graphql", json=body)

    trips = [" ".join(trip)[:120] for trip in redis_round_trips]
    print("\nwarm storefront listing, Redis round trips:\n  " + "\n  ".join(trips))
    assert warm.status_code == 200
    assert "errors" not in warm.json()
    shown = (":products:product:", ":products:images-of:", ":products:rating:", "promotions")
    reading = [
        trip for trip in redis_round_trips if any(part in arg for arg in trip for part in shown)
    ]
    assert len(reading) == 1, trips
    [together] = reading
    assert together[0] == "MGET"
    assert all(any(part in arg for arg in together) for part in shown), together
    # The generation, the cached page, the products with what they show, the shops.
    assert [trip[0] for trip in redis_round_trips].count("MGET") == 4, trips
