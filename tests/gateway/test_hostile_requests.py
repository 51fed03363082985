"""Hostile requests against the whole platform (real Postgres and Redis), each refused
cleanly with the right code, and nothing changed: every table of every schema holds
the same rows afterwards, and an account the attacks aim at keeps its name.

The platform's gateway runs with the default limits of Settings (depth 12, 30 aliases,
50 directives, 5,000 tokens, lists of 100, cost 10,000, 1 MB bodies).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from domains.kit.auth import JwtKeys
from domains.kit.config import Settings
from domains.kit.resources import Resources
from shopgraph.platform import build_platform_app
from tests.gateway import tokens
from tests.gateway.edge import OPERATIONS_DIR, client_of
from tests.support.tokens import sign_up

RENAME = 'mutation { accountUpdate(input: {name: "Pwned"}) { user { name } } }'
NEW_CLIENT = {"accept": "application/graphql-response+json"}


async def _snapshot(resources: Resources) -> dict[str, int]:
    """Row counts of every table the platform owns."""
    async with resources.engine.connect() as connection:
        tables = (
            await connection.execute(
                text(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM "
                    "pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                )
            )
        ).scalars()
        # Table names come from pg_tables, quoted by Postgres itself.
        return {
            table: int(
                (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
            )
            for table in tables
        }


@pytest.fixture
async def victim(platform: httpx.AsyncClient) -> tuple[str, str]:
    return await sign_up(platform, "victim@example.com")


async def _name_of(client: httpx.AsyncClient, token: str) -> str:
    response = await client.post(
        "/graphql", json={"query": "{ me { name } }"}, headers={"authorization": f"Bearer {token}"}
    )
    return str(response.json()["data"]["me"]["name"])


def _refusals(jwt_keys: JwtKeys) -> dict[str, tuple[dict[str, Any], int, str]]:
    """name -> (request, HTTP status, error code)"""
    expired = tokens.signed(jwt_keys, exp=int(time.time()) - 60)
    return {
        "depth bomb": (
            {
                "json": {
                    "query": "{ products { nodes { "
                    + "reviews { nodes { product { " * 10
                    + "id"
                    + " } } }" * 10
                    + " } } }"
                }
            },
            400,
            "MAX_DEPTH_EXCEEDED",
        ),
        "1,000 aliases": (
            {"json": {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"}},
            400,
            "MAX_ALIASES_EXCEEDED",
        ),
        "100 directives": (
            {"json": {"query": "{ __typename " + "@skip(if: false) " * 100 + "}"}},
            400,
            "MAX_DIRECTIVES_EXCEEDED",
        ),
        "circular fragments": (
            {
                "json": {
                    "query": 'mutation { accountUpdate(input: {name: "Pwned"}) { user { ...A } } } '
                    "fragment A on User { reviews { author { ...B } } } "
                    "fragment B on User { reviews { author { ...A } } }"
                }
            },
            400,
            "GRAPHQL_VALIDATION_FAILED",
        ),
        "10 MB body": (
            {
                "content": b'{"query": "mutation { accountUpdate(input: {name: \\"'
                + b"x" * 10_000_000
                + b'\\"}) { user { name } } }"}',
                "headers": {"content-type": "application/json"},
            },
            413,
            "REQUEST_TOO_LARGE",
        ),
        "first: 1000000": (
            {
                "json": {
                    "query": "{ products(first: 1000000) { nodes { name seller { shopName } } } }"
                }
            },
            400,
            "MAX_COST_EXCEEDED",
        ),
        "batch array": (
            {"json": [{"query": RENAME}, {"query": RENAME}]},
            400,
            "BATCHING_NOT_SUPPORTED",
        ),
        "expired token": (
            {"json": {"query": RENAME}, "headers": {"authorization": f"Bearer {expired}"}},
            401,
            "UNAUTHENTICATED",
        ),
        "HS256-confused token": (
            {
                "json": {"query": RENAME},
                "headers": {"authorization": f"Bearer {tokens.hs256_with_public_key(jwt_keys)}"},
            },
            401,
            "UNAUTHENTICATED",
        ),
        "alg: none token": (
            {
                "json": {"query": RENAME},
                "headers": {"authorization": f"Bearer {tokens.alg_none()}"},
            },
            401,
            "UNAUTHENTICATED",
        ),
    }


async def test_each_is_refused_cleanly_with_the_right_code_and_nothing_changed(
    platform: httpx.AsyncClient,
    resources: Resources,
    jwt_keys: JwtKeys,
    victim: tuple[str, str],
) -> None:
    # One test over every case, so the platform and the victim's account (two argon2
    # hashes) are set up once; each case is still checked on its own.
    wrong = []
    for case, (request, status, code) in _refusals(jwt_keys).items():
        headers = {**NEW_CLIENT, **request.pop("headers", {})}
        before = await _snapshot(resources)

        response = await platform.post("/graphql", headers=headers, **request)

        body = response.json()
        outcome = (response.status_code, "data" in body, body["errors"][0]["extensions"]["code"])
        if outcome != (status, False, code) or "Traceback" in response.text:
            wrong.append(f"{case}: {outcome} {response.text[:300]}")
        if await _snapshot(resources) != before:
            wrong.append(f"{case}: rows changed")
        print(f"\n{case}: {response.status_code} {code}")
    assert wrong == []
    assert await _name_of(platform, victim[1]) == "Test Customer"


async def test_a_forged_internal_identity_header_is_refused_as_anonymous(
    platform: httpx.AsyncClient, resources: Resources, victim: tuple[str, str]
) -> None:
    victim_id, token = victim
    forged = {"x-user-id": victim_id, "x-shopgraph-user": victim_id, "x-forwarded-user": victim_id}
    before = await _snapshot(resources)

    response = await platform.post("/graphql", json={"query": RENAME}, headers=forged)

    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await _snapshot(resources) == before
    assert await _name_of(platform, token) == "Test Customer"


SQL = [
    "'; DROP TABLE products.products; --",
    "x' OR '1'='1",
    "%' UNION SELECT email FROM users.users --",
    "\\'; SELECT pg_sleep(5); --",
]


@pytest.mark.parametrize("payload", SQL)
async def test_sql_metacharacters_in_search_and_filters_are_only_text(
    platform: httpx.AsyncClient, resources: Resources, payload: str
) -> None:
    text_fields = (
        "query($text: String!) { products(filter: {search: $text}) { totalCount nodes { name } } "
        "product(slug: $text) { id } seller(slug: $text) { id } }"
    )
    validated = [
        "query($text: String!) { products(filter: {currency: $text}) { totalCount } }",
        "query($text: ID!) { products(filter: {categoryId: $text}) { totalCount } }",
        "query($text: ID!) { products(filter: {sellerId: $text}) { totalCount } }",
    ]
    before = await _snapshot(resources)

    started = time.perf_counter()
    searched = await platform.post(
        "/graphql", json={"query": text_fields, "variables": {"text": payload}}
    )
    refused = [
        await platform.post("/graphql", json={"query": query, "variables": {"text": payload}})
        for query in validated
    ]
    elapsed = time.perf_counter() - started

    # Free text is searched for as text: nothing matches, nothing breaks.
    assert searched.json() == {
        "data": {"products": {"totalCount": 0, "nodes": []}, "product": None, "seller": None}
    }
    # Codes, ids and ids of categories are checked before any SQL sees them.
    for response in refused:
        assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["BAD_USER_INPUT"]
    assert elapsed < 5  # no pg_sleep ran
    assert await _snapshot(resources) == before


@pytest.fixture
async def tight_platform(
    settings: Settings, resources: Resources
) -> AsyncIterator[httpx.AsyncClient]:
    tight = dataclasses.replace(
        settings,
        gateway_operations_dir=OPERATIONS_DIR,
        rate_limit_per_ip=50,
        rate_limit_enabled=True,
    )
    async with client_of(build_platform_app(tight), "http://shop.test") as client:
        yield client


async def test_a_burst_past_the_rate_limit_is_429(
    tight_platform: httpx.AsyncClient, resources: Resources
) -> None:
    # 5 x (products, nodes, seller) = 15 of a budget of 50: three pass, then 429.
    query = "{ products(first: 5) { nodes { seller { shopName } } } }"
    before = await _snapshot(resources)

    statuses = []
    for _ in range(6):
        response = await tight_platform.post("/graphql", json={"query": query})
        statuses.append(response.status_code)

    assert statuses == [200, 200, 200, 429, 429, 429]
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert await _snapshot(resources) == before
