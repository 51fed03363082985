"""Redis is a cache, not a dependency: with it down, reads answer from Postgres."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from domains.kit.app import Runtime
from domains.kit.resources import Resources
from domains.products.app import create_app
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter

QUERY = """
query($id: ID!) {
  product(id: $id) { name variants { sku inventory { quantityAvailable } } rating { count } }
  products(first: 10, filter: {search: "linen"}) { totalCount nodes { name images { url } } }
}
"""


@pytest.fixture
async def without_redis(resources: Resources) -> AsyncIterator[GraphQLClient]:
    # Nothing listens on port 1: every Redis call fails at once with a connection error.
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5, socket_timeout=0.5)
    broken = dataclasses.replace(resources, redis=dead)
    app = create_app(Runtime(broken.settings, broken), manage_resources=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://products.test"
    ) as http:
        yield GraphQLClient(http)
    await dead.aclose()


async def test_reads_answer_from_postgres_when_redis_is_down(
    products_client: GraphQLClient,
    without_redis: GraphQLClient,
    catalog: Catalog,
    sql_counter: SqlCounter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seller = await catalog.seller()
    product = await catalog.product(
        seller, "Linen Shirt", variants=[VariantSpec("LS-1", stock=3)], images=1
    )
    healthy = await products_client.execute(QUERY, {"id": str(product.id)})

    with caplog.at_level(logging.WARNING, logger="shopgraph.cache"):
        sql_counter.reset()
        degraded = await without_redis.execute(QUERY, {"id": str(product.id)})
        degraded_statements = sql_counter.count
        again = await without_redis.execute(QUERY, {"id": str(product.id)})

    assert degraded.ok() == healthy.ok()
    assert again.ok() == healthy.ok()
    assert degraded.ok()["product"]["variants"] == [
        {"sku": "LS-1", "inventory": {"quantityAvailable": 3}}
    ]
    # Still one statement per relationship: the dataloaders batch without the cache.
    assert degraded_statements == 7
    warnings = [r for r in caplog.records if r.name == "shopgraph.cache"]
    assert len(warnings) == 1, "one warning per outage, not one per call"
    assert "using the database" in warnings[0].getMessage()
