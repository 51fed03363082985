"""The whole platform in the test's process, as `shopgraph serve` runs it: the gateway,
every subgraph in-process, and every domain's relay, consumers and sweepers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from domains.kit.config import Settings
from domains.kit.resources import Resources
from shopgraph.platform import build_platform_app
from tests.support.graphql import GraphQLClient


@pytest.fixture
async def platform(
    settings: Settings, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[GraphQLClient]:
    monkeypatch.setenv("CHECKOUT_WAIT", "10s")
    app = build_platform_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        yield GraphQLClient(http)
