"""Rate limiting in the run's real Redis: by cost, per IP, user and API key; 429 with
Retry-After; and serving on (fail open) when Redis is down. Also CORS from an allowlist.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from domains.kit.resources import Resources
from gateway.auth.tokens import TokenIdentity
from gateway.callers import Caller
from gateway.partners.service import PartnerIdentity
from gateway.ratelimit import Bucket, RateLimiter, RateLimits, _wait_ms
from tests.federation.topology import data
from tests.gateway.edge import client_of, topology_gateway

# Costs 1 x (product 1 + reviews 1 + author 1) = 3.
THREE = "{ topProducts(first: 1) { reviews { author { name } } } }"
RECORD = 'mutation { recordEvent(action: "limited") { seq } }'


def _limited(resources: Resources, limits: RateLimits, **config: Any) -> Any:
    settings = resources.settings
    return topology_gateway(
        redis_url=config.pop("redis_url", settings.redis_url),
        redis_key_prefix=settings.redis_key_prefix,
        rate_limits=limits,
        **config,
    )


async def test_a_burst_past_the_limit_is_429_with_retry_after_and_runs_nothing(
    resources: Resources,
) -> None:
    data.reset()
    app = _limited(resources, RateLimits(per_ip=9, window_seconds=60))
    async with client_of(app) as client:
        allowed = [await client.post("/graphql", json={"query": THREE}) for _ in range(3)]
        refused = await client.post("/graphql", json={"query": THREE})
        mutation = await client.post("/graphql", json={"query": RECORD})

    assert [response.status_code for response in allowed] == [200, 200, 200]  # 9 of 9 spent
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 120
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["cost"] == 3
    assert error["extensions"]["limit"] == 9
    assert "ip" in error["message"]
    assert mutation.status_code == 429
    assert not any(row.action == "limited" for row in data.state.journal)


async def test_callers_have_buckets_of_their_own(resources: Resources) -> None:
    limits = RateLimits(per_ip=1000, per_user=6, window_seconds=60)
    limiter = RateLimiter(resources.redis, resources.settings.redis_key_prefix, limits)
    ada = [Bucket("ip", "10.0.0.1"), Bucket("user", "ada")]
    bob = [Bucket("ip", "10.0.0.1"), Bucket("user", "bob")]

    first = await limiter.consume(ada, 6)
    again = await limiter.consume(ada, 1)
    other = await limiter.consume(bob, 6)

    assert first.allowed
    assert not again.allowed
    assert again.bucket == Bucket("user", "ada")
    assert other.allowed


async def test_a_refused_request_spends_nothing(resources: Resources) -> None:
    limits = RateLimits(per_ip=5, per_user=100, window_seconds=60)
    limiter = RateLimiter(resources.redis, resources.settings.redis_key_prefix, limits)
    buckets = [Bucket("ip", "10.0.0.2"), Bucket("user", "cy")]

    assert (await limiter.consume(buckets, 4)).allowed
    assert not (await limiter.consume(buckets, 4)).allowed
    assert (await limiter.consume(buckets, 1)).allowed  # the refused 4 were not charged


def test_retry_after_waits_for_the_window_to_slide_far_enough() -> None:
    # Limit 10; the previous window spent 10, this one nothing, 30 s into a 60 s window:
    # the weighted count is 5, so a cost of 6 fits once it has faded to 4: 6 s later.
    assert (
        _wait_ms(current=0, previous=10, cost=6, limit=10, window=60_000, elapsed=30_000) == 6_000
    )
    # This window already spent 10: wait for the rollover, then for half of it to fade.
    assert _wait_ms(current=10, previous=0, cost=5, limit=10, window=60_000, elapsed=0) == 90_000


async def test_with_redis_down_the_gateway_serves_and_says_so(
    resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    app = _limited(resources, RateLimits(per_ip=1), redis_url="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="shopgraph.gateway"):
        async with client_of(app) as client:
            responses = [await client.post("/graphql", json={"query": THREE}) for _ in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert "rate limiter unavailable" in caplog.text


async def test_cors_allows_only_configured_origins() -> None:
    app = topology_gateway(cors_origins=("https://shop.example.com",))
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
    }
    async with client_of(app) as client:
        allowed = await client.options(
            "/graphql", headers={"origin": "https://shop.example.com", **preflight}
        )
        refused = await client.options(
            "/graphql", headers={"origin": "https://evil.example.net", **preflight}
        )
        simple = await client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"origin": "https://evil.example.net"},
        )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in simple.headers


def test_a_partner_spends_its_key_budget_not_its_address_budget() -> None:
    partner = PartnerIdentity(uuid.uuid4(), "acme", "feed")
    token = TokenIdentity("user-1", {})

    anonymous = Caller("10.0.0.9", None, None, None).buckets()
    signed_in = Caller("10.0.0.9", token, None, "Bearer x").buckets()
    as_partner = Caller("10.0.0.9", None, partner, None).buckets()

    assert anonymous == [Bucket("ip", "10.0.0.9")]
    assert signed_in == [Bucket("ip", "10.0.0.9"), Bucket("user", "user-1")]
    assert as_partner == [Bucket("api_key", str(partner.id))]
