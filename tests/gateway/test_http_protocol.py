"""GraphQL over HTTP at the gateway: media types, status codes, GET rules, refusals.

The full audit suite of graphql-http runs in test_http_conformance.py; these are the
decisions behind it, each stated once, plus what the suite does not cover (CSRF, 405
for mutations over GET, batches, the request id).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import REGISTRY

from gateway.metrics import SERVICE
from tests.federation.topology import SUBGRAPHS
from tests.gateway.edge import SchemaSubgraph, client_of, topology_gateway

GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(topology_gateway()) as http:
        yield http


def _accept(media_type: str) -> dict[str, str]:
    return {"accept": media_type}


async def test_a_client_accepting_graphql_response_json_gets_it(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=_accept(GRAPHQL_RESPONSE)
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
async def test_legacy_clients_get_application_json(
    client: httpx.AsyncClient, accept: str | None
) -> None:
    headers = {} if accept is None else _accept(accept)

    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ noSuchField }"}, "GRAPHQL_VALIDATION_FAILED"),
        (
            {
                "query": "query($n: Int!) { topProducts(first: $n) { name } }",
                "variables": {"n": None},
            },
            "BAD_USER_INPUT",
        ),
    ],
)
async def test_request_errors_are_400_without_data_for_new_clients_and_200_for_legacy_ones(
    client: httpx.AsyncClient, body: dict[str, object], code: str
) -> None:
    new = await client.post("/graphql", json=body, headers=_accept(GRAPHQL_RESPONSE))
    legacy = await client.post("/graphql", json=body, headers=_accept("application/json"))

    assert new.status_code == 400
    assert "data" not in new.json()
    assert new.json()["errors"][0]["extensions"]["code"] == code
    assert legacy.status_code == 200
    assert legacy.json()["errors"][0]["extensions"]["code"] == code


async def test_a_get_carrying_its_document_must_be_preflighted(client: httpx.AsyncClient) -> None:
    bare = await client.get("/graphql", params={"query": "{ __typename }"})
    preflighted = await client.get(
        "/graphql",
        params={"query": "{ __typename }"},
        headers={"apollo-require-preflight": "true"},
    )
    json_typed = await client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"content-type": "application/json"}
    )

    assert bare.status_code == 400
    assert bare.json()["errors"][0]["extensions"]["code"] == "PREFLIGHT_REQUIRED"
    assert preflighted.status_code == 200
    assert json_typed.status_code == 200


async def test_mutations_over_get_are_405(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={"query": 'mutation { recordEvent(action: "x") { seq } }'},
        headers={"apollo-require-preflight": "true"},
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["message"] == (
        "mutation operations cannot be sent with GET: send them with POST."
    )


@pytest.mark.parametrize("path", ["/", "/api/graphql"])
async def test_the_graphql_path_is_configurable(path: str) -> None:
    counted = {"service": SERVICE, "operation": "anonymous", "status": "ok"}
    before = REGISTRY.get_sample_value("shopgraph_requests_total", counted) or 0.0
    async with client_of(topology_gateway(graphql_path=path)) as http:
        answered = await http.post(path, json={"query": "query PathProbe { __typename }"})
        default = await http.post("/graphql", json={"query": "{ __typename }"})

    assert answered.status_code == 200
    assert answered.json() == {"data": {"__typename": "Query"}}
    assert default.status_code == 404
    # The request metrics follow the path.
    assert REGISTRY.get_sample_value("shopgraph_requests_total", counted) == before + 1


@pytest.mark.parametrize(
    ("path", "problem"),
    [("graphql", "must start with '/'"), ("/graphql/", "must not end with '/'")],
)
def test_a_malformed_graphql_path_is_refused_by_name(path: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        topology_gateway(graphql_path=path)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_bodies_a_cross_site_form_could_send_are_415(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"content-type": content_type}
    )

    assert response.status_code == 415


async def test_a_batch_is_refused_with_its_own_code(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}]
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BATCHING_NOT_SUPPORTED"


@pytest.mark.parametrize(
    "body",
    [
        {"query": 1},
        {"query": "{ __typename }", "variables": "{}"},
        {"query": "{ __typename }", "operationName": ["x"]},
        {"query": "{ __typename }", "extensions": "x"},
        {"notquery": "{ __typename }"},
    ],
)
async def test_malformed_parameters_are_400(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post("/graphql", json=body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_client_accepting_neither_json_type_gets_406(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=_accept("text/csv")
    )

    assert response.status_code == 406


async def test_every_response_names_a_request_id_the_subgraphs_were_sent_too() -> None:
    subgraphs = {name: SchemaSubgraph(schema) for name, schema in SUBGRAPHS.items()}
    async with client_of(topology_gateway(subgraphs=subgraphs)) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ me { name } }"},
            headers={"x-request-id": "chosen-by-client", "x-user-id": "1"},
        )

    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    assert request_id != "chosen-by-client"
    sent = subgraphs["accounts"].headers_seen[-1]
    assert sent["x-request-id"] == request_id
    assert "x-user-id" not in sent
