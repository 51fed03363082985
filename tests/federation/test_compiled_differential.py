"""The compiled executor against graphql-core's on every subgraph request of the
federation corpus.

Every operation of the corpus (tests/federation/corpus) goes through our gateway over
the test topology's subgraphs in-process, and every subgraph request the gateway's plans
make (root fetches, `_entities` fetches with the representations of real answers,
mutations) runs on both executors (tests/support/compiled_differential.py). Their
answers must be the same JSON text: data, and errors with their messages, paths,
locations and extensions, in the same order. The topology's subgraphs are built on the
platform's FederatedSchema, the class every domain uses.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import parse

from domains.kit.graphql.compiled import COMPILED, CompiledExecutor
from domains.kit.graphql.errors import FederatedSchema
from gateway.app import GatewayConfig, build_gateway_app
from tests.federation.corpus import OPERATIONS, Operation
from tests.federation.topology import SUBGRAPHS, data, reset, supergraph_sdl
from tests.support.compiled_differential import (
    DifferentialSubgraph,
    Recorder,
    schema_execute,
)

# What of the corpus's subgraph documents runs through graphql-core, as
# `CompiledExecutor.fallbacks` words it: nothing. (The gateway answers introspection
# itself, so no subgraph document holds `__schema` or `__type`.)
EXPECTED_FALLBACKS: dict[str, list[str]] = {}


class _TopologyState:
    """The topology's in-memory data: saved before the first run of a pair, restored
    before the second, so a mutation runs on the same rows twice."""

    def __init__(self) -> None:
        self.saved: Any = None

    async def before_run(self, first: bool) -> None:
        if first:
            self.saved = copy.deepcopy(data.state)
        else:
            data.state = copy.deepcopy(self.saved)


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
async def gateway(recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    state = _TopologyState()
    subgraphs: dict[str, Any] = {
        name: DifferentialSubgraph(
            name, recorder, schema_execute(schema), before_run=state.before_run
        )
        for name, schema in SUBGRAPHS.items()
    }
    app = build_gateway_app(GatewayConfig(supergraph_sdl=supergraph_sdl(), subgraphs=subgraphs))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client,
    ):
        yield client


def _executor(name: str) -> CompiledExecutor:
    schema = SUBGRAPHS[name]
    assert isinstance(schema, FederatedSchema)
    return schema.compiled_executor


def _compiled_runs() -> int:
    return sum(_executor(name).runs[COMPILED] for name in SUBGRAPHS)


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.name for op in OPERATIONS])
async def test_compiled_answers_every_subgraph_request_as_graphql_core_does(
    operation: Operation, gateway: httpx.AsyncClient, recorder: Recorder
) -> None:
    reset()
    start = len(recorder.comparisons)
    compiled_before = _compiled_runs()

    response = await gateway.post("/graphql", json=operation.request_body())

    assert response.status_code in (200, 400), response.text
    made = recorder.comparisons[start:]
    for comparison in made:
        assert comparison.compiled == comparison.graphql_core, (
            f"{comparison.subgraph}: {comparison.document}\nvariables: {comparison.variables}"
        )
    # Each request's second run was compiled, not handed to graphql-core.
    assert _compiled_runs() - compiled_before == len(made)


def test_the_corpus_reaches_the_subgraphs(recorder: Recorder) -> None:
    """Run after the corpus: its plans made many subgraph requests, with errors and
    entity fetches among them."""
    documents = {comparison.document for comparison in recorder.comparisons}
    failing = [c for c in recorder.comparisons if '"errors"' in c.compiled]
    print(
        f"\n{len(recorder.comparisons)} subgraph requests ({len(documents)} documents, "
        f"{len(failing)} answered with errors) the same on both executors"
    )
    assert len(recorder.comparisons) >= 150, len(recorder.comparisons)
    assert any("_entities" in document for document in documents)
    assert len(failing) >= 20


def test_what_falls_back_in_the_corpus(recorder: Recorder) -> None:
    found: dict[str, list[str]] = {}
    for comparison in recorder.comparisons:
        reasons = _executor(comparison.subgraph).fallbacks(
            SUBGRAPHS[comparison.subgraph]._schema,
            parse(comparison.document),
            comparison.variables,
        )
        if reasons:
            found[comparison.document] = reasons
    assert found == EXPECTED_FALLBACKS
