"""The full standard introspection query, answered exactly as Apollo Gateway answers it.

Tools compare schemas by introspection, so the gateway's answer to graphql-js's
``getIntrospectionQuery()`` (default options, and with every option Apollo Gateway
accepts) must be Apollo Gateway's, byte for byte once parsed: the schema's own types,
and the built-in introspection types and directives in graphql-js 16's (October 2021)
shapes, although graphql-core 3.3 defines the newer ones. Apollo's answers are those
recorded in ``corpus/apollo_responses.json`` (``python -m tests.federation.record``);
no Apollo process runs here, and introspection needs no subgraph.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLNonNull,
    GraphQLSchema,
    build_schema,
    get_introspection_query,
    graphql_sync,
)

from gateway.app import GatewayConfig, build_gateway_app
from gateway.federation.composition import compose
from gateway.federation.introspection import October2021Schema
from tests.federation.corpus import APOLLO_RESPONSES_PATH, OPERATIONS
from tests.federation.topology import SUBGRAPHS, subgraph_sdl

STANDARD = ["IntrospectionStandardQuery", "IntrospectionStandardQueryAllOptions"]


@pytest.fixture(scope="module")
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    placeholder = {name: f"http://{name}.invalid/graphql" for name in SUBGRAPHS}
    supergraph = compose({name: (placeholder[name], subgraph_sdl(name)) for name in SUBGRAPHS})
    app = build_gateway_app(GatewayConfig(supergraph_sdl=supergraph, subgraphs=placeholder))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client,
    ):
        yield client


def _recorded(name: str) -> dict[str, Any]:
    operations = json.loads(APOLLO_RESPONSES_PATH.read_text(encoding="utf-8"))["operations"]
    body: dict[str, Any] = operations[name]["body"]
    return body


@pytest.mark.parametrize("name", STANDARD)
async def test_standard_introspection_answers_as_apollo_gateway(
    name: str, gateway: httpx.AsyncClient
) -> None:
    operation = next(op for op in OPERATIONS if op.name == name)

    response = await gateway.post("/graphql", json=operation.request_body())

    assert response.status_code == 200
    assert response.json() == _recorded(name)


def _introspect(schema: GraphQLSchema) -> dict[str, Any]:
    result = graphql_sync(schema, get_introspection_query(descriptions=True))
    assert result.errors is None
    assert result.data is not None
    return result.data


def _argument_type(data: dict[str, Any], type_name: str, field: str) -> dict[str, Any]:
    kind = next(t for t in data["__schema"]["types"] if t["name"] == type_name)
    found = next(f for f in kind["fields"] if f["name"] == field)
    argument = next(a for a in found["args"] if a["name"] == "includeDeprecated")
    shape: dict[str, Any] = argument["type"]
    return shape


def test_the_october_2021_shapes_stay_in_the_gateway_schema() -> None:
    plain = build_schema("type Query { a: Int @deprecated }")

    october = _introspect(October2021Schema(plain))
    newer = _introspect(plain)

    # graphql-core's own schemas (the subgraphs') keep the newer shapes...
    assert _argument_type(newer, "__Type", "fields")["kind"] == "NON_NULL"
    assert "FRAGMENT_VARIABLE_DEFINITION" in json.dumps(newer)
    assert isinstance(plain.get_directive("deprecated").args["reason"].type, GraphQLNonNull)  # type: ignore[union-attr]
    # ...and the gateway's answers as graphql-js does.
    assert _argument_type(october, "__Type", "fields") == {
        "kind": "SCALAR",
        "name": "Boolean",
        "ofType": None,
    }
    assert "FRAGMENT_VARIABLE_DEFINITION" not in json.dumps(october)
    deprecated = next(d for d in october["__schema"]["directives"] if d["name"] == "deprecated")
    assert deprecated["args"][0]["type"]["kind"] == "SCALAR"
    assert deprecated["args"][0]["defaultValue"] == '"No longer supported"'


def test_introspection_arguments_are_still_validated() -> None:
    schema = October2021Schema(build_schema("type Query { a: Int }"))

    result = graphql_sync(
        schema, '{ __type(name: "Query") { fields(includeDeprecated: "yes") { name } } }'
    )

    assert result.errors is not None
    assert "Boolean" in result.errors[0].message
