from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from domains.kit.app import Runtime
from domains.kit.config import Settings
from domains.kit.resources import Resources, open_resources
from domains.users.app import create_app


async def _client(resources: Resources) -> httpx.AsyncClient:
    app = create_app(Runtime(resources.settings, resources), manage_resources=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def healthy(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(resources) as client:
        yield client


async def test_liveness_and_readiness(healthy: httpx.AsyncClient) -> None:
    assert (await healthy.get("/health")).json() == {"status": "ok"}
    ready = await healthy.get("/ready")

    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"postgres": "ok", "redis": "ok"}}


async def test_readiness_names_a_dead_redis(settings: Settings) -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    broken = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    async with open_resources(broken) as resources, await _client(resources) as client:
        response = await client.get("/ready")
        live = await client.get("/health")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"]
    assert body["checks"]["postgres"] == "ok"
    assert body["checks"]["redis"].startswith("failing: ")
    assert live.status_code == 200


async def test_readiness_names_a_dead_postgres(settings: Settings) -> None:
    broken = dataclasses.replace(settings, database_url="postgresql://postgres@127.0.0.1:1/none")
    async with open_resources(broken) as resources, await _client(resources) as client:
        response = await client.get("/ready")

    assert response.status_code == 503
    assert response.json()["failing"] == ["postgres"]


async def test_jwks_publishes_the_verification_key(
    healthy: httpx.AsyncClient, resources: Resources
) -> None:
    response = await healthy.get("/.well-known/jwks.json")

    (key,) = response.json()["keys"]
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["kid"] == resources.jwt_keys.key_id
    assert "d" not in key  # never the private exponent
