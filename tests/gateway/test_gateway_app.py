"""The gateway app: remote subgraphs composed at start-up, plans on request, plan cache."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from domains.kit.config import Settings
from gateway.app import PLAN_HEADER, GatewayConfig, build_gateway_app
from shopgraph.platform import build_remote_gateway_app
from tests.federation.topology import ServedTopology, serve_topology

STOREFRONT = (
    """query Storefront { topProducts(first: 2) { name stock reviews { body author { name } } } }"""
)


@pytest.fixture(scope="module")
def topology() -> Iterator[ServedTopology]:
    with serve_topology() as served:
        yield served


async def _post(
    app: Starlette, body: dict[str, object], headers: dict[str, str] | None = None
) -> httpx.Response:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client,
    ):
        return await client.post("/graphql", json=body, headers=headers or {})


async def test_remote_subgraphs_are_composed_from_what_they_report(
    topology: ServedTopology,
) -> None:
    app = build_remote_gateway_app(Settings(), topology.urls)

    response = await _post(app, {"query": STOREFRONT})

    body = response.json()
    assert "errors" not in body
    first = body["data"]["topProducts"][0]
    assert first["name"] == "Difference Engine Manual"
    assert first["stock"] == 12
    assert {review["author"]["name"] for review in first["reviews"]} >= {"Ada Lovelace"}


async def test_the_plan_is_returned_on_request_in_development(topology: ServedTopology) -> None:
    config = GatewayConfig(
        supergraph_sdl=topology.supergraph_sdl, subgraphs=topology.urls, expose_plans=True
    )

    with_plan = await _post(build_gateway_app(config), {"query": STOREFRONT}, {PLAN_HEADER: "1"})
    without = await _post(build_gateway_app(config), {"query": STOREFRONT})

    plan = with_plan.json()["extensions"]["queryPlan"]
    assert plan["fetches"] == 4  # products; then inventory and reviews; then accounts
    assert 'Fetch(service: "products")' in plan["text"]
    assert "extensions" not in without.json()


async def test_plans_are_not_exposed_unless_configured(topology: ServedTopology) -> None:
    config = GatewayConfig(supergraph_sdl=topology.supergraph_sdl, subgraphs=topology.urls)

    response = await _post(build_gateway_app(config), {"query": STOREFRONT}, {PLAN_HEADER: "1"})

    assert "extensions" not in response.json()


def test_plans_are_cached_per_document_and_operation_name(topology: ServedTopology) -> None:
    config = GatewayConfig(supergraph_sdl=topology.supergraph_sdl, subgraphs=topology.urls)
    gateway = build_gateway_app(config).state.gateway
    two = "query A { me { name } } query B { warehouses { name } }"

    first_a, again_a = gateway.plan(two, "A"), gateway.plan(two, "A")
    first_b = gateway.plan(two, "B")

    assert first_a is again_a
    assert first_b is not first_a
    assert [f.subgraph for f in [first_a.node, first_b.node]] == ["accounts", "inventory"]


async def test_mutations_are_refused_over_get(topology: ServedTopology) -> None:
    app = build_gateway_app(
        GatewayConfig(supergraph_sdl=topology.supergraph_sdl, subgraphs=topology.urls)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client,
    ):
        response = await client.get(
            "/graphql", params={"query": 'mutation { recordEvent(action: "x") { seq } }'}
        )

    assert response.status_code == 405
