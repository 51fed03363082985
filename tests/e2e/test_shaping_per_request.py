"""The gateway keeps each operation's shaping on its cached plan, except where @skip or
@include make it depend on the request's variables: the same document sent with other
variables is shaped by its own, at the root and below lists of entities."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from domains.kit.app import Runtime
from domains.kit.config import Settings
from domains.kit.resources import Resources
from domains.kit.seeding import SeedOptions
from shopgraph.platform import build_platform_app
from shopgraph.provisioning import seed_all

LISTING = """
query Shaped($rating: Boolean!, $noShop: Boolean!, $withName: Boolean!) {
  products(first: 3, sort: NEWEST) {
    edges {
      node {
        id
        name @include(if: $withName)
        rating @include(if: $rating) { count }
        seller { shopName @skip(if: $noShop) slug }
      }
    }
  }
}
"""


@pytest.fixture
async def shop(settings: Settings, resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    await seed_all(settings, SeedOptions(sellers=2, customers=1, products=5))
    app = build_platform_app(settings, Runtime(settings, workers_enabled=False))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        yield http


async def _node_keys(shop: httpx.AsyncClient, **variables: bool) -> list[tuple[str, ...]]:
    answer = await shop.post("/graphql", json={"query": LISTING, "variables": variables})
    body = answer.json()
    assert "errors" not in body, body
    edges = body["data"]["products"]["edges"]
    assert len(edges) == 3
    return [(*edge["node"], *(f"seller.{key}" for key in edge["node"]["seller"])) for edge in edges]


async def test_one_document_is_shaped_by_each_requests_variables(
    shop: httpx.AsyncClient,
) -> None:
    everything = {"rating": True, "noShop": False, "withName": True}
    little = {"rating": False, "noShop": True, "withName": False}

    first = await _node_keys(shop, **everything)
    second = await _node_keys(shop, **little)
    third = await _node_keys(shop, **everything)

    assert set(first) == {("id", "name", "rating", "seller", "seller.shopName", "seller.slug")}
    assert set(second) == {("id", "seller", "seller.slug")}
    assert third == first
