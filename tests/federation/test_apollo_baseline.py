"""Apollo Gateway's answers to the operation corpus: sane, deterministic and as recorded.

Our gateway is proven against Apollo Gateway by a differential test that sends both the
operations of ``corpus/operations.toml`` over the topology in ``topology/``. This module
checks that footing: that the corpus is well formed and covers every feature it claims;
that Apollo answers each operation as its tags say (errors exactly where tagged
``error``; the few operations Apollo is known to get wrong still differ from the
spec's answer); that Apollo's live answers equal the committed snapshot
``corpus/apollo_responses.json`` (so the snapshot is fresh and Apollo deterministic);
and that the committed supergraph is what Apollo composes from the subgraphs today.

Tests marked slow run node: one Apollo Gateway process for the whole module, the
subgraphs served once, every operation sent once on freshly reset data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLSyntaxError, OperationDefinitionNode, parse

from tests.federation.corpus import APOLLO_RESPONSES_PATH, FEATURES, OPERATIONS, Operation
from tests.federation.record import (
    LiveGateway,
    compose_supergraph,
    live_apollo,
    record_corpus,
)
from tests.federation.topology import SUBGRAPHS, reset, serve_topology, supergraph_sdl
from tests.support.subgraph_servers import supergraph_with_urls

MIN_OPERATIONS = 110


def _by_name(operation: Operation) -> str:
    return operation.name


def _snapshot_operations() -> dict[str, Any]:
    operations: dict[str, Any] = json.loads(APOLLO_RESPONSES_PATH.read_text(encoding="utf-8"))[
        "operations"
    ]
    return operations


# ------------------------------------------------------------------ the corpus


def test_corpus_is_large_and_uses_every_feature_tag() -> None:
    used = {tag for operation in OPERATIONS for tag in operation.tags}

    assert len(OPERATIONS) >= MIN_OPERATIONS
    assert sorted(set(FEATURES) - used) == []


@pytest.mark.parametrize("operation", OPERATIONS, ids=_by_name)
def test_corpus_operation_parses_unless_it_is_a_syntax_error_case(operation: Operation) -> None:
    try:
        document = parse(operation.query)
    except GraphQLSyntaxError:
        assert {"error", "validation"} <= set(operation.tags)
        return
    names = {
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    }
    if operation.operation_name is not None and "error" not in operation.tags:
        assert operation.operation_name in names


def test_known_apollo_divergences_carry_the_spec_answer() -> None:
    divergent = [operation for operation in OPERATIONS if operation.apollo_divergence]

    assert divergent, "expected the cases Apollo gets wrong"
    for operation in divergent:
        assert operation.expected is not None
        assert operation.expected.get("data")
        assert operation.matches_expected(operation.expected)


def test_snapshot_holds_exactly_the_corpus() -> None:
    assert list(_snapshot_operations()) == [operation.name for operation in OPERATIONS], (
        "corpus/apollo_responses.json is stale: run `python -m tests.federation.record`"
    )


# ------------------------------------------------------------ the topology


def test_supergraph_with_urls_rewrites_the_named_subgraphs_only() -> None:
    sdl = supergraph_with_urls(supergraph_sdl(), {"orders": "http://127.0.0.1:9/graphql"})

    assert '@join__graph(name: "orders", url: "http://127.0.0.1:9/graphql")' in sdl
    assert '@join__graph(name: "accounts", url: "http://accounts.invalid/graphql")' in sdl
    assert sdl.count('@join__graph(name: "') == len(SUBGRAPHS)


def test_supergraph_with_urls_rejects_an_unknown_subgraph() -> None:
    with pytest.raises(ValueError, match="no subgraph named shipping"):
        supergraph_with_urls(supergraph_sdl(), {"shipping": "http://127.0.0.1:9/graphql"})


def test_subgraphs_answer_over_http_and_requests_are_logged() -> None:
    representations = [{"__typename": "Product", "upc": "1002", "price": 4999, "weight": 2300}]
    query = (
        "query($r: [_Any!]!) {"
        " _entities(representations: $r) { ... on Product { stock shippingEstimate } } }"
    )

    with serve_topology() as topology:
        response = httpx.post(
            topology.urls["inventory"], json={"query": query, "variables": {"r": representations}}
        )

    assert response.json() == {"data": {"_entities": [{"stock": 3, "shippingEstimate": 530}]}}
    assert [(r.subgraph, r.variables) for r in topology.request_log.requests] == [
        ("inventory", {"r": representations})
    ]
    assert set(topology.urls) == set(SUBGRAPHS)
    assert 'url: "http://127.0.0.1:' in topology.supergraph_sdl


def test_reset_restores_the_seed_after_a_mutation() -> None:
    from tests.federation.topology import data

    reset()
    SUBGRAPHS["orders"].execute_sync('mutation { recordEvent(action: "x") { seq } }')
    SUBGRAPHS["inventory"].execute_sync(
        'mutation { restock(upc: "1001", quantity: 1) { journal { seq } } }'
    )
    assert len(data.state.journal) == 2
    assert data.state.stock["1001"].stock == 13

    reset()

    assert data.state.journal == []
    assert data.state.stock["1001"].stock == 12


# ------------------------------------------------------------ Apollo Gateway


@pytest.fixture(scope="module")
def apollo() -> Iterator[LiveGateway]:
    with live_apollo() as running:
        yield running


@pytest.fixture(scope="module")
def apollo_answers(apollo: LiveGateway) -> dict[str, dict[str, Any]]:
    return record_corpus(apollo, OPERATIONS, with_query_plans=False)


@pytest.mark.slow
@pytest.mark.parametrize("operation", OPERATIONS, ids=_by_name)
def test_apollo_answers_as_the_operation_is_tagged(
    operation: Operation, apollo_answers: dict[str, dict[str, Any]]
) -> None:
    answer = apollo_answers[operation.name]
    body = answer["body"]

    if operation.apollo_divergence:
        assert not operation.matches_expected(body), (
            f"Apollo now answers {operation.name} as the spec requires: drop its "
            "apollo_divergence and expected, and re-record"
        )
    elif operation.expects_errors:
        assert body.get("errors"), body
    else:
        assert answer["status"] == 200, body
        assert "errors" not in body, body["errors"]
        assert body.get("data") is not None, body
        # Apollo reports results it had to repair (bad values from a subgraph) here.
        assert "extensions" not in body, body["extensions"]


@pytest.mark.slow
def test_live_apollo_answers_match_the_snapshot(
    apollo_answers: dict[str, dict[str, Any]],
) -> None:
    recorded = _snapshot_operations()
    stale = [
        name
        for name, answer in apollo_answers.items()
        if {key: recorded.get(name, {}).get(key) for key in answer} != answer
    ]

    assert stale == [], (
        f"Apollo's answers differ from corpus/apollo_responses.json for {stale}; if the "
        "corpus or topology changed on purpose, run `python -m tests.federation.record`"
    )


@pytest.mark.slow
def test_committed_supergraph_is_what_apollo_composes() -> None:
    assert compose_supergraph() == supergraph_sdl(), (
        "topology/supergraph.graphql is stale: run `python -m tests.federation.record --supergraph`"
    )
