"""Limits on what one request may ask for, and what production hides.

Each limit answers with its own code and the numbers that explain it; none of them
reaches a subgraph. The gateway runs over the test topology in-process.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pytest
from graphql import build_schema, parse

from gateway.federation.operations import PreparedOperation
from gateway.limits import Limits
from gateway.limits.cost import operation_cost
from gateway.pipeline import Pipeline
from tests.federation.topology import SUBGRAPHS
from tests.gateway.edge import REPO_ROOT, SchemaSubgraph, client_of, topology_gateway

NEW_CLIENT = {"accept": "application/graphql-response+json"}
LIMITS = Limits(max_depth=8, max_aliases=20, max_directives=30, max_tokens=3000, max_cost=500)


async def _post(query: str, variables: dict[str, Any] | None = None, **config: Any) -> Any:
    config.setdefault("limits", LIMITS)
    async with client_of(topology_gateway(**config)) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"accept": "application/graphql-response+json"},
        )
    return response


def _error(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    error: dict[str, Any] = body["errors"][0]
    return error


async def test_a_depth_bomb_is_refused_with_its_depth_and_the_limit() -> None:
    query = "{ topProducts { " + "related { " * 30 + "name" + " }" * 30 + " } }"

    error = _error(await _post(query))

    assert error["extensions"] == {"code": "MAX_DEPTH_EXCEEDED", "depth": 32, "maxDepth": 8}


async def test_a_thousand_aliases_are_refused_before_validation_gets_to_them() -> None:
    query = "{ " + " ".join(f"a{i}: topProducts {{ name }}" for i in range(1000)) + " }"
    async with client_of(topology_gateway(limits=Limits(max_tokens=10_000))) as client:
        started = time.perf_counter()
        response = await client.post(
            "/graphql",
            json={"query": query},
            headers={"accept": "application/graphql-response+json"},
        )
        elapsed = time.perf_counter() - started

    error = _error(response)
    assert error["extensions"] == {
        "code": "MAX_ALIASES_EXCEEDED",
        "aliases": 1000,
        "maxAliases": 30,
    }
    # Printed, not asserted: times are not test conditions.
    print(f"\n1,000 aliases refused in {elapsed * 1000:.1f} ms")


async def test_one_field_repeated_a_thousand_times_is_refused_before_validation() -> None:
    # Cheap by cost (5 each) and without aliases, but validation would compare every pair.
    repeated = "{ " + "topProducts { name } " * 1000 + "}"
    inline = "{ " + "... on Query { topProducts { name } } " * 1000 + "}"
    limits = Limits(max_tokens=20_000)
    async with client_of(topology_gateway(limits=limits)) as client:
        started = time.perf_counter()
        plain = await client.post("/graphql", json={"query": repeated}, headers=NEW_CLIENT)
        elapsed = time.perf_counter() - started
        hidden = await client.post("/graphql", json={"query": inline}, headers=NEW_CLIENT)

    for response in (plain, hidden):
        assert _error(response)["extensions"] == {
            "code": "MAX_FIELD_REPEATS_EXCEEDED",
            "repeats": 1000,
            "maxRepeats": 20,
        }
    print(f"\n1,000 repeats of one field refused in {elapsed * 1000:.1f} ms")


async def test_a_hundred_directives_are_refused() -> None:
    query = "{ __typename " + "@include(if: true) " * 100 + "}"

    error = _error(await _post(query))

    assert error["extensions"]["code"] == "MAX_DIRECTIVES_EXCEEDED"
    assert error["extensions"]["directives"] == 100


async def test_fragments_are_counted_as_if_written_out() -> None:
    # Each fragment spreads the next twice: 2**10 copies of four aliases, in a few lines.
    fragments = [f"fragment F{i} on Product {{ ...F{i + 1} ...F{i + 1} }}" for i in range(10)] + [
        "fragment F10 on Product { a: name b: name c: name d: name }"
    ]
    query = "{ topProducts { ...F0 } } " + " ".join(fragments)

    error = _error(await _post(query))

    assert error["extensions"]["code"] == "MAX_ALIASES_EXCEEDED"
    assert error["extensions"]["aliases"] == 4 * 2**10


async def test_circular_fragments_are_refused_by_validation() -> None:
    query = (
        "{ topProducts { ...A } } "
        "fragment A on Product { related { ...B } } fragment B on Product { related { ...A } }"
    )

    error = _error(await _post(query))

    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Cannot spread fragment 'A' within itself" in error["message"].replace('"', "'")


async def test_a_document_of_too_many_tokens_is_not_parsed_further() -> None:
    query = "{ " + "__typename " * 5000 + "}"

    error = _error(await _post(query))

    assert error["extensions"] == {"code": "MAX_TOKENS_EXCEEDED", "maxTokens": 3000}


@pytest.mark.parametrize("where", ["literal", "variable"])
async def test_a_long_list_argument_is_refused(where: str) -> None:
    tags = [f"tag{n}" for n in range(101)]
    if where == "literal":
        query = (
            "{ products(filter: {tagsAny: [" + ", ".join(f'"{t}"' for t in tags) + "]}) { name } }"
        )
        response = await _post(query)
    else:
        query = "query($tags: [String!]) { products(filter: {tagsAny: $tags}) { name } }"
        response = await _post(query, {"tags": tags})

    error = _error(response)

    assert error["extensions"] == {"code": "LIST_SIZE_EXCEEDED", "size": 101, "maxListSize": 100}


async def test_first_multiplies_the_cost_and_the_error_reports_it() -> None:
    query = "query($n: Int!) { topProducts(first: $n) { name reviews { body author { name } } } }"

    cheap = await _post(query, {"n": 2})
    dear = _error(await _post(query, {"n": 1_000_000}))

    assert cheap.status_code == 200
    # 1,000,000 x (the product, its reviews, their authors) = 3,000,000.
    assert dear["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": 3_000_000, "maxCost": 500}
    assert "3000000" in dear["message"]
    assert "500" in dear["message"]


def test_the_cost_of_the_storefront_listing() -> None:
    """24 products x (product, pageInfo, edges, node, price range, its start, images,
    rating, seller, facets, category facets, their categories) = 24 x 12."""
    schema = build_schema((REPO_ROOT / "schema" / "api.graphql").read_text())
    source = (REPO_ROOT / "schema/operations/examples/01-storefront-listing.graphql").read_text()
    document = parse(source)
    operation = document.definitions[0]

    cost = operation_cost(schema, {}, operation, {"first": 24})  # type: ignore[arg-type]
    page_of_100 = operation_cost(schema, {}, operation, {"first": 100})  # type: ignore[arg-type]
    # Without the variable, the argument's own default (products(first: Int = 20)).
    unset = operation_cost(schema, {}, operation, {})  # type: ignore[arg-type]

    assert cost == 24 * 12
    assert page_of_100 == 100 * 12
    assert unset == 20 * 12


async def test_introspection_and_suggestions_are_off_when_configured() -> None:
    introspection = await _post("{ __schema { types { name } } }", introspection=False)
    typo = await _post("{ topProduct { name } }", introspection=False)
    typename = await _post("{ __typename }", introspection=False)
    typo_in_development = await _post("{ topProduct { name } }")

    assert _error(introspection)["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert "Did you mean" not in _error(typo)["message"]
    assert typename.status_code == 200
    assert "Did you mean" in _error(typo_in_development)["message"]


class LeakySubgraph(SchemaSubgraph):
    """A subgraph that leaks what a careless one might: SQL and a secret in a message."""

    async def execute(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        response = await super().execute(document, variables, headers)
        response.setdefault("errors", []).append(
            {
                "message": 'relation "users" does not exist: SELECT * FROM users '
                "WHERE password = 'hunter2'",
                "path": ["me"],
                "extensions": {"exception": {"stacktrace": ["Traceback ..."]}},
            }
        )
        return response


@pytest.mark.parametrize("production", [False, True])
async def test_production_masks_resolver_failures_but_not_request_errors(production: bool) -> None:
    subgraphs = {name: SchemaSubgraph(schema) for name, schema in SUBGRAPHS.items()}
    subgraphs["accounts"] = LeakySubgraph(SUBGRAPHS["accounts"])
    async with client_of(topology_gateway(subgraphs=subgraphs, production=production)) as client:
        failed = await client.post("/graphql", json={"query": "{ me { name } }"})
        invalid = await client.post("/graphql", json={"query": "{ me { nmae } }"})

    leaked = failed.json()["errors"][-1]
    if production:
        assert leaked["message"] == "Internal server error."
        assert leaked["extensions"] == {
            "code": "INTERNAL_SERVER_ERROR",
            "requestId": failed.headers["x-request-id"],
        }
        assert "hunter2" not in failed.text
        assert "Traceback" not in failed.text
    else:
        assert "relation" in leaked["message"]
    assert "Cannot query field" in invalid.json()["errors"][0]["message"]


def test_prepared_operations_name_their_root_fields() -> None:
    gateway: Pipeline = topology_gateway().state.gateway
    prepared = gateway.prepare(
        "{ topProducts { name } ... on Query { __typename } ...Me } "
        "fragment Me on Query { me { name } }"
    )

    assert isinstance(prepared, PreparedOperation)
    # Through fragments too: a private field must not hide in one from the cache policy.
    assert prepared.root_fields == ["topProducts", "__typename", "me"]
