"""Fixtures of the carts tests: the subgraph over HTTP and signed-in customers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from domains.kit.app import Runtime
from domains.kit.resources import Resources
from tests.support.graphql import GraphQLClient
from tests.support.tokens import Customer


@pytest.fixture
async def carts_client(resources: Resources) -> AsyncIterator[GraphQLClient]:
    from domains.carts.app import create_app

    app = create_app(Runtime(resources.settings, resources), manage_resources=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://carts.test") as http:
        yield GraphQLClient(http)


@pytest.fixture
def customer(resources: Resources) -> Customer:
    return Customer(resources)


@pytest.fixture
def other_customer(resources: Resources) -> Customer:
    return Customer(resources)


@pytest.fixture(autouse=True)
def _short_checkout_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    # No orders domain answers in these tests: checkoutComplete waits this long.
    monkeypatch.setenv("CHECKOUT_WAIT", "1s")
