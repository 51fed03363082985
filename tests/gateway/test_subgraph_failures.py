"""When a subgraph is down or slow, the rest of the answer still comes back."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from gateway.app import GatewayConfig, build_gateway_app
from tests.federation.topology import SUBGRAPHS, ServedTopology, serve_topology, supergraph_sdl
from tests.support.subgraph_servers import serve_subgraphs, supergraph_with_urls

QUERY = "{ topProducts(first: 2) { name restockDate } }"


def _closed_port_url() -> str:
    """A URL nothing listens on: the port was bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/graphql"


class _Hangs:
    """A subgraph that accepts the request and never answers in time."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(5)


@pytest.fixture(scope="module")
def topology() -> Iterator[ServedTopology]:
    with serve_topology() as served:
        yield served


async def _ask(app: Starlette, query: str) -> httpx.Response:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client,
    ):
        return await client.post("/graphql", json={"query": query})


def _gateway(urls: dict[str, str], **config: Any) -> Starlette:
    return build_gateway_app(
        GatewayConfig(
            supergraph_sdl=supergraph_with_urls(supergraph_sdl(), urls), subgraphs=urls, **config
        )
    )


async def test_a_stopped_subgraph_leaves_the_other_data_and_names_itself(
    topology: ServedTopology,
) -> None:
    urls = {**topology.urls, "inventory": _closed_port_url()}

    response = await _ask(_gateway(urls), QUERY)

    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {
        "topProducts": [
            {"name": "Difference Engine Manual", "restockDate": None},
            {"name": "Brass Gear Set", "restockDate": None},
        ]
    }
    [error] = body["errors"]
    assert error["extensions"] == {"code": "SUBGRAPH_ERROR", "serviceName": "inventory"}
    assert error["message"].startswith('Subgraph "inventory" failed: unreachable')


async def test_a_slow_subgraph_times_out_on_its_own_limit(topology: ServedTopology) -> None:
    with serve_subgraphs({"inventory": _Hangs()}) as slow:
        urls = {**topology.urls, "inventory": slow["inventory"]}
        response = await _ask(_gateway(urls, subgraph_timeouts={"inventory": 0.2}), QUERY)

    body = response.json()
    assert response.status_code == 200
    assert [p["name"] for p in body["data"]["topProducts"]] == [
        "Difference Engine Manual",
        "Brass Gear Set",
    ]
    [error] = body["errors"]
    assert error["message"] == 'Subgraph "inventory" failed: no answer within 0.2 s.'
    assert error["extensions"]["code"] == "SUBGRAPH_ERROR"


async def test_a_root_subgraph_down_nulls_only_its_fields(topology: ServedTopology) -> None:
    urls = {**topology.urls, "reviews": _closed_port_url()}

    response = await _ask(_gateway(urls), '{ me { name } review(id: "r1") { body } }')

    body = response.json()
    assert body["data"] == {"me": {"name": "Ada Lovelace"}, "review": None}
    assert [e["extensions"]["serviceName"] for e in body["errors"]] == ["reviews"]


def test_every_topology_subgraph_is_configured() -> None:
    assert set(SUBGRAPHS) == {"accounts", "products", "inventory", "reviews", "orders"}
