"""Fixtures of the carts tests: the subgraph over HTTP and signed-in customers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from domains.kit.app import Runtime
from domains.kit.auth import Role
from domains.kit.resources import Resources
from tests.domains.products.helpers import mint_access_token
from tests.support.graphql import GraphQLClient


@pytest.fixture
async def carts_client(resources: Resources) -> AsyncIterator[GraphQLClient]:
    from domains.carts.app import create_app

    app = create_app(Runtime(resources.settings, resources), manage_resources=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://carts.test") as http:
        yield GraphQLClient(http)


class Customer:
    def __init__(self, resources: Resources, *roles: Role) -> None:
        self.id = uuid.uuid4()
        self.token = mint_access_token(resources, self.id, roles or (Role.CUSTOMER,))


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
