"""`@defer` through the gateway: multipart/mixed incremental delivery.

The federation test topology is served over real HTTP, its reviews subgraph behind a
gate that holds every answer until the test opens it. A product page whose reviews are
deferred must show its first part while the reviews subgraph still holds its answer;
the reviews then arrive as an incremental part at the product's path. A client that
does not accept multipart gets the whole answer at once, Apollo Client (npm, in Node)
assembles the same result with and without @defer, and bad uses of @defer are refused
by validation with a message that says what is wrong.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from graphql import parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.app import GatewayConfig, build_gateway_app
from gateway.federation.defer import DeferPlanner, with_defer
from gateway.federation.plan_printer import print_deferred_plan, print_plan
from gateway.federation.planner import QueryPlanner
from gateway.federation.supergraph import Supergraph
from tests.federation.topology import SUBGRAPHS, supergraph_sdl
from tests.federation.topology.data import reset
from tests.gateway.edge import REPO_ROOT, serve_app
from tests.support.apollo import default_toolchain, ensure_npm_packages
from tests.support.subgraph_servers import graphql_app, serve_subgraphs, supergraph_with_urls

TOOLS_DIR = REPO_ROOT / "tools" / "apollo-client"
MULTIPART = "multipart/mixed;deferSpec=20220824,application/json"
PRODUCT_PAGE = """
query ProductPage($upc: String!) {
  product(upc: $upc) {
    upc
    name
    price
    ... @defer(label: "reviews") {
      reviews { body rating author { username } }
    }
  }
}
"""
PRODUCT_PAGE_AT_ONCE = PRODUCT_PAGE.replace('@defer(label: "reviews")', "")


@dataclass
class Gate:
    """Holds every answer of the subgraph behind it until opened; says what happened."""

    opened: threading.Event = field(default_factory=threading.Event)
    asked: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)

    def wrap(self, app: ASGIApp) -> ASGIApp:
        async def gated(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            self.asked.set()
            opened = await asyncio.to_thread(self.opened.wait, 30)
            assert opened, "the test never opened the gate"

            async def answering(message: Message) -> None:
                # Set before the answer leaves, so no reader can see it first.
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    self.answered.set()
                await send(message)

            await app(scope, receive, answering)

        return gated


@dataclass(frozen=True)
class Served:
    url: str
    gate: Gate


@pytest.fixture
def served() -> Iterator[Served]:
    reset()
    gate = Gate()
    subgraphs: dict[str, Any] = dict(SUBGRAPHS)
    subgraphs["reviews"] = gate.wrap(graphql_app(SUBGRAPHS["reviews"]))
    with serve_subgraphs(subgraphs) as urls:
        app = build_gateway_app(
            GatewayConfig(
                supergraph_sdl=supergraph_with_urls(supergraph_sdl(), urls), subgraphs=urls
            )
        )
        with serve_app(app) as base_url:
            yield Served(f"{base_url}/graphql", gate)
        gate.opened.set()


def _review(body: str, rating: int, username: str) -> dict[str, Any]:
    return {"body": body, "rating": rating, "author": {"username": username}}


def _parts(buffer: bytes) -> tuple[list[dict[str, Any]], bytes]:
    """Complete parts of a multipart/mixed body (boundary "graphql"), and the rest."""
    parts: list[dict[str, Any]] = []
    delimiter = b"\r\n--graphql"
    while True:
        start = buffer.find(delimiter)
        end = buffer.find(delimiter, start + len(delimiter)) if start >= 0 else -1
        if end < 0:
            return parts, buffer
        part = buffer[start + len(delimiter) : end]
        _headers, _, body = part.partition(b"\r\n\r\n")
        parts.append(json.loads(body))
        buffer = buffer[end:]


async def test_the_first_part_arrives_before_the_slowed_reviews_subgraph_answers(
    served: Served,
) -> None:
    gate = served.gate
    async with (
        httpx.AsyncClient(timeout=30) as client,
        client.stream(
            "POST",
            served.url,
            json={"query": PRODUCT_PAGE, "variables": {"upc": "1001"}},
            headers={"accept": MULTIPART},
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("multipart/mixed")
        assert "deferSpec=20220824" in response.headers["content-type"]
        chunks = response.aiter_bytes()
        buffer = b""
        parts: list[dict[str, Any]] = []
        while not parts:
            buffer += await anext(chunks)
            parts, buffer = _parts(buffer)
        # The first part is here, and the reviews subgraph has not answered: it cannot,
        # until the gate opens.
        assert not gate.answered.is_set()
        assert parts[0] == {
            "data": {"product": {"upc": "1001", "name": "Difference Engine Manual", "price": 1299}},
            "hasNext": True,
        }
        gate.opened.set()
        async for chunk in chunks:
            buffer += chunk
        rest, tail = _parts(buffer)
    assert gate.answered.is_set()
    assert tail == b"\r\n--graphql--\r\n"
    assert rest == [
        {
            "hasNext": False,
            "incremental": [
                {
                    "data": {
                        "reviews": [
                            {
                                "body": "Clear and thorough.",
                                "rating": 5,
                                "author": {"username": "ada"},
                            },
                            {
                                "body": "Computable, mostly.",
                                "rating": 4,
                                "author": {"username": "alan"},
                            },
                        ]
                    },
                    "path": ["product"],
                    "label": "reviews",
                }
            ],
        }
    ]


async def test_a_client_without_multipart_gets_the_whole_answer(served: Served) -> None:
    served.gate.opened.set()
    async with httpx.AsyncClient(timeout=30) as client:
        deferred = await client.post(
            served.url,
            json={"query": PRODUCT_PAGE, "variables": {"upc": "1001"}},
            headers={"accept": "application/graphql-response+json, application/json"},
        )
        at_once = await client.post(
            served.url, json={"query": PRODUCT_PAGE_AT_ONCE, "variables": {"upc": "1001"}}
        )
    assert deferred.status_code == 200
    assert deferred.headers["content-type"].startswith("application/graphql-response+json")
    assert "hasNext" not in deferred.json()
    assert deferred.json() == at_once.json()
    assert deferred.json()["data"]["product"]["reviews"][0]["author"] == {"username": "ada"}


async def test_deferred_fragments_in_lists_and_named_fragments_each_get_their_part(
    served: Served,
) -> None:
    served.gate.opened.set()
    query = """
      query Top($withStock: Boolean!) {
        topProducts(first: 2) { name ...Reviews @defer(label: "reviews") }
        product(upc: "1003") { name ... @defer(if: $withStock) { inStock } }
      }
      fragment Reviews on Product { reviews { rating } }
    """
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            served.url,
            json={"query": query, "variables": {"withStock": False}},
            headers={"accept": MULTIPART},
        )
    parts, _ = _parts(response.content)
    # `if: false` defers nothing: inStock comes with the first part.
    assert parts[0]["data"] == {
        "topProducts": [{"name": "Difference Engine Manual"}, {"name": "Brass Gear Set"}],
        "product": {"name": "Punch Card Pack", "inStock": False},
    }
    assert parts[-1]["hasNext"] is False
    entries = [entry for part in parts[1:] for entry in part.get("incremental", [])]
    assert sorted(entries, key=lambda entry: entry["path"]) == [
        {
            "data": {"reviews": [{"rating": 5}, {"rating": 4}]},
            "path": ["topProducts", 0],
            "label": "reviews",
        },
        {"data": {"reviews": [{"rating": 3}]}, "path": ["topProducts", 1], "label": "reviews"},
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            'mutation { ... @defer { setPrice(upc: "1001", price: 1) { __typename } } }',
            "Defer directive cannot be used on root mutation type",
        ),
        (
            '{ product(upc: "1001") { ... @defer(label: "a") { name } '
            '... @defer(label: "a") { price } } }',
            "Defer/Stream directive label argument must be unique",
        ),
        (
            '{ product(upc: "1001") { ... @defer(label: 3) { name } } }',
            "String cannot represent a non string value: 3",
        ),
        (
            'query($l: String) { product(upc: "1001") { ... @defer(label: $l) { name } } }',
            "Defer directive label argument must be a static string",
        ),
    ],
)
async def test_bad_uses_of_defer_are_refused_by_validation(
    served: Served, query: str, message: str
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            served.url, json={"query": query}, headers={"accept": MULTIPART}
        )
    body = response.json()
    assert "data" not in body
    errors = body["errors"]
    assert {error["extensions"]["code"] for error in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    assert any(message in error["message"] for error in errors), errors
    assert not served.gate.asked.is_set()


def test_the_plan_shows_the_deferred_fetches() -> None:
    supergraph = Supergraph(supergraph_sdl())
    schema = with_defer(supergraph.api_schema)
    split = DeferPlanner(supergraph, schema, QueryPlanner(supergraph)).plan(
        parse(PRODUCT_PAGE), None
    )
    primary = print_plan(split.primary)
    assert "reviews" not in primary
    assert "__sg_defer_upc: upc __typename" in primary
    [deferred] = split.deferred
    assert deferred.label == "reviews"
    assert deferred.path == ("product",)
    text = print_plan(deferred.plan)
    assert 'Flatten(path: "product")' in text
    assert 'Fetch(service: "reviews")' in text
    assert "@defer" not in primary + text
    printed = print_deferred_plan(split)
    assert 'Deferred(label: "reviews", path: "product", type: Product) {' in printed
    assert printed.count("Fetch(") == 2


async def test_apollo_client_assembles_the_same_result_with_and_without_defer(
    served: Served,
) -> None:
    served.gate.opened.set()
    toolchain = default_toolchain()
    ensure_npm_packages(TOOLS_DIR, toolchain)
    process = await asyncio.to_thread(
        subprocess.run,
        [toolchain[0], str(TOOLS_DIR / "defer.mjs"), served.url, PRODUCT_PAGE, "1001"],
        cwd=TOOLS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    result = json.loads(process.stdout)
    assert result["deferred"]["contentType"].startswith("multipart/mixed")
    assert result["atOnce"]["contentType"].startswith("application/")
    assert result["deferred"]["data"] == result["atOnce"]["data"]
    assert len(result["deferred"]["data"]["product"]["reviews"]) == 2
