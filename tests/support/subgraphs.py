"""One domain's subgraph served in-process, as its standalone app, behind a GraphQL client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from domains.kit.app import Runtime
from domains.kit.resources import Resources
from shopgraph.registry import domain, load
from tests.support.graphql import GraphQLClient


@contextlib.asynccontextmanager
async def subgraph_client(domain_name: str, resources: Resources) -> AsyncIterator[GraphQLClient]:
    create_app = load(domain(domain_name).app_factory)
    app = create_app(Runtime(resources.settings, resources), manage_resources=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://subgraph.test") as http:
        yield GraphQLClient(http)
