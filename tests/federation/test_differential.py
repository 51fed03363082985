"""Our gateway against Apollo Gateway, operation by operation.

Every operation of the corpus (tests/federation/corpus) goes to Apollo Gateway and to
our gateway over the same subgraphs (the test topology, served over HTTP), twice for
ours: subgraphs executed in-process, and reached over HTTP. Both gateways run from a
supergraph: Apollo from Apollo's composition, ours from our own composition of the same
subgraph SDLs (a composition difference would show up here as well).

Equal means: the same `data` (introspection included, built-in types and all), and
errors at the same paths. Error messages are not compared, because graphql-core's
validation wording and quoting differ from graphql-js's; codes of subgraph errors are
(they come from the subgraphs).

Where Apollo Gateway answers wrongly (an alias shadowing a key or required field it adds
to a fetch; an error path inside an entity fetch), the corpus entry says so and carries
the answer the spec requires; ours is held to that instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.app import GatewayConfig, build_gateway_app
from gateway.federation.composition import compose
from tests.federation.corpus import OPERATIONS, Operation
from tests.federation.topology import SUBGRAPHS, ServedTopology, reset, serve_topology, subgraph_sdl
from tests.support.apollo_gateway import query_apollo, run_apollo_gateway
from tests.support.subgraph_servers import supergraph_with_urls

pytestmark = pytest.mark.slow


class SchemaSubgraph:
    """A topology subgraph executed in-process, as the gateway's LocalSubgraph."""

    def __init__(self, schema: Any) -> None:
        self._schema = schema

    async def execute(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        result = await self._schema.execute(document, variable_values=dict(variables))
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        return response


def normalise(body: dict[str, Any]) -> tuple[Any, list[str]]:
    """What must be equal: the data, and the error paths (as a sorted list)."""
    paths = sorted(repr(error.get("path")) for error in body.get("errors") or [])
    return body.get("data", "<no data>"), paths


@pytest.fixture(scope="module")
def topology() -> Iterator[ServedTopology]:
    with serve_topology() as served:
        yield served


@pytest.fixture(scope="module")
def apollo(topology: ServedTopology) -> Iterator[str]:
    with run_apollo_gateway(topology.supergraph_sdl) as url:
        yield url


def _our_supergraph(urls: Mapping[str, str]) -> str:
    placeholder = {name: f"http://{name}.invalid/graphql" for name in SUBGRAPHS}
    composed = compose({name: (placeholder[name], subgraph_sdl(name)) for name in SUBGRAPHS})
    return supergraph_with_urls(composed, urls)


@pytest.fixture(scope="module", params=["in-process", "http"])
async def ours(
    request: pytest.FixtureRequest, topology: ServedTopology
) -> AsyncIterator[httpx.AsyncClient]:
    subgraphs: dict[str, Any]
    if request.param == "in-process":
        subgraphs = {name: SchemaSubgraph(schema) for name, schema in SUBGRAPHS.items()}
    else:
        subgraphs = dict(topology.urls)
    app: Starlette = build_gateway_app(
        GatewayConfig(supergraph_sdl=_our_supergraph(topology.urls), subgraphs=subgraphs)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client,
    ):
        yield client


async def _ask_ours(client: httpx.AsyncClient, operation: Operation) -> dict[str, Any]:
    reset()
    response = await client.post("/graphql", json=operation.request_body())
    body: dict[str, Any] = response.json()
    return body


def _ask_apollo(url: str, operation: Operation, query: str | None = None) -> dict[str, Any]:
    reset()
    return query_apollo(
        url, query or operation.query, operation.variables, operation.operation_name
    )


def test_the_corpus_is_large_enough() -> None:
    assert len(OPERATIONS) >= 100


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.name for op in OPERATIONS])
async def test_same_answer_as_apollo_gateway(
    operation: Operation, ours: httpx.AsyncClient, apollo: str
) -> None:
    mine = await _ask_ours(ours, operation)
    theirs = _ask_apollo(apollo, operation)
    assert ("errors" in mine) == operation.expects_errors, mine

    if operation.apollo_divergence is None:
        assert normalise(mine) == normalise(theirs)
        return
    # Apollo answers this one wrongly (the corpus says how): ours must give the answer
    # the spec requires, and Apollo must still differ, or the corpus entry is stale.
    assert operation.matches_expected(mine), mine
    assert normalise(mine) != normalise(theirs), (
        f"Apollo no longer shows: {operation.apollo_divergence}"
    )
