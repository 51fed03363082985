"""Fixtures of the products tests: the subgraph over HTTP, accounts with tokens, a catalog."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from domains.kit.app import Runtime
from domains.kit.resources import Resources
from tests.domains.products.helpers import Catalog
from tests.support.graphql import GraphQLClient


@pytest.fixture
async def products_client(resources: Resources) -> AsyncIterator[GraphQLClient]:
    from domains.products.app import create_app

    app = create_app(Runtime(resources.settings, resources), manage_resources=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://products.test") as http:
        yield GraphQLClient(http)


@pytest.fixture
def catalog(resources: Resources) -> Catalog:
    return Catalog(resources)
