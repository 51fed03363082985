"""First-party clients: the storefront's server renders for every shopper from one
address. With its client key, the shopper it names in X-Forwarded-For is the one counted
(rate limits, and the address subgraphs are told); without the key, or with another
key, X-Forwarded-For is ignored. Rate limits in the run's real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from domains.kit.resources import Resources
from gateway.clients import FirstPartyClients
from gateway.ratelimit import RateLimits
from tests.federation.topology import SUBGRAPHS
from tests.gateway.edge import SchemaSubgraph, topology_gateway

KEY = "storefront-key-" + "x" * 32
# Costs 1 x (product 1 + reviews 1 + author 1) = 3.
THREE = "{ topProducts(first: 1) { reviews { author { name } } } }"
STOREFRONT_SERVER = "10.20.0.5"
SHOPPERS = [f"203.0.113.{n}" for n in range(1, 11)]


def _gateway(
    resources: Resources, limits: RateLimits, **config: Any
) -> tuple[Starlette, dict[str, SchemaSubgraph]]:
    settings = resources.settings
    subgraphs = {name: SchemaSubgraph(schema) for name, schema in SUBGRAPHS.items()}
    app = topology_gateway(
        subgraphs=subgraphs,
        redis_url=settings.redis_url,
        # A prefix per test run: buckets of one test never leak into the next.
        redis_key_prefix=f"{settings.redis_key_prefix}{id(subgraphs)}:",
        rate_limits=limits,
        first_party_keys={"storefront": KEY},
        **config,
    )
    return app, subgraphs


@asynccontextmanager
async def _from(app: Starlette, peer: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client,
    ):
        yield client


def _headers(shopper: str | None, key: str | None = KEY) -> Mapping[str, str]:
    headers = {}
    if key is not None:
        headers["x-shopgraph-client-key"] = key
    if shopper is not None:
        headers["x-forwarded-for"] = shopper
    return headers


def _client_ips(subgraphs: Mapping[str, SchemaSubgraph]) -> list[str | None]:
    return [seen.get("x-shopgraph-client-ip") for seen in subgraphs["products"].headers_seen]


async def test_with_the_key_each_shopper_has_a_limit_of_their_own(resources: Resources) -> None:
    app, subgraphs = _gateway(resources, RateLimits(per_ip=9, window_seconds=60))
    async with _from(app, STOREFRONT_SERVER) as storefront:
        # Ten shoppers' pages, three requests each: 90 for the storefront, 9 per shopper.
        answered = [
            await storefront.post("/graphql", json={"query": THREE}, headers=_headers(shopper))
            for shopper in SHOPPERS
            for _ in range(3)
        ]
        fourth = await storefront.post(
            "/graphql", json={"query": THREE}, headers=_headers(SHOPPERS[0])
        )

    assert {response.status_code for response in answered} == {200}
    assert fourth.status_code == 429  # the one shopper past their own limit
    assert "ip" in fourth.json()["errors"][0]["message"]
    # Subgraphs (sign-in throttling per address) hear of the shopper, not the server.
    assert set(_client_ips(subgraphs)) == set(SHOPPERS)


async def test_without_the_key_a_forged_forwarded_for_is_ignored(resources: Resources) -> None:
    app, subgraphs = _gateway(resources, RateLimits(per_ip=9, window_seconds=60))
    async with _from(app, "198.51.100.66") as client:
        answered = [
            await client.post(
                "/graphql", json={"query": THREE}, headers=_headers(shopper, key=None)
            )
            for shopper in SHOPPERS[:4]
        ]

    assert [response.status_code for response in answered] == [200, 200, 200, 429]
    assert _client_ips(subgraphs) == ["198.51.100.66"] * 3


async def test_a_wrong_key_is_refused_not_ignored(resources: Resources) -> None:
    app, subgraphs = _gateway(resources, RateLimits(per_ip=9))
    keyless = topology_gateway(first_party_keys={})
    async with _from(app, STOREFRONT_SERVER) as client:
        wrong = await client.post(
            "/graphql", json={"query": THREE}, headers=_headers(SHOPPERS[0], key=KEY + "y")
        )
    async with _from(keyless, STOREFRONT_SERVER) as client:
        unexpected = await client.post(
            "/graphql", json={"query": THREE}, headers=_headers(SHOPPERS[0])
        )

    assert wrong.status_code == 401
    assert wrong.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert unexpected.status_code == 401
    assert "GATEWAY_FIRST_PARTY_KEYS" in unexpected.json()["errors"][0]["message"]
    assert subgraphs["products"].headers_seen == []


async def test_a_read_for_no_shopper_spends_the_clients_own_budget(resources: Resources) -> None:
    app, _ = _gateway(resources, RateLimits(per_ip=3, per_client=6, window_seconds=60))
    async with _from(app, STOREFRONT_SERVER) as storefront:
        cached_reads = [
            await storefront.post("/graphql", json={"query": THREE}, headers=_headers(None))
            for _ in range(3)
        ]
        for_a_shopper = await storefront.post(
            "/graphql", json={"query": THREE}, headers=_headers(SHOPPERS[0])
        )

    assert [response.status_code for response in cached_reads] == [200, 200, 429]
    assert "client" in cached_reads[2].json()["errors"][0]["message"]
    assert for_a_shopper.status_code == 200


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "first_party", "counted_as"),
    [
        # Nobody trusted: the peer, whatever the header says.
        ("198.51.100.1", "203.0.113.9", False, "198.51.100.1"),
        # A first-party client names one hop: the last, which it appended.
        ("10.20.0.5", "192.0.2.1, 203.0.113.9", True, "203.0.113.9"),
        ("10.20.0.5", None, True, "10.20.0.5"),
        # A trusted proxy: past it, to the first address it did not vouch for.
        ("10.0.0.2", "192.0.2.1, 203.0.113.9", False, "203.0.113.9"),
        ("10.0.0.2", "192.0.2.1, 203.0.113.9, 10.0.0.3", False, "203.0.113.9"),
        # The storefront behind the proxy: the proxy appended the server's address.
        ("10.0.0.2", "203.0.113.9, 10.20.0.5", True, "203.0.113.9"),
        # What a proxy could not have written is not read past.
        ("10.0.0.2", "203.0.113.9, not-an-address", False, "10.0.0.2"),
    ],
)
def test_the_address_counted_is_read_past_trusted_hops_only(
    peer: str, forwarded_for: str | None, first_party: bool, counted_as: str
) -> None:
    clients = FirstPartyClients({"storefront": KEY}, trusted_proxies=["10.0.0.0/24"])

    assert clients.address(peer, forwarded_for, first_party).ip == counted_as
    assert clients.identify(KEY) == "storefront"
    assert clients.identify(KEY[:-1]) is None
