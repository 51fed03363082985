"""Fixtures of the gateway edge tests over real Postgres and Redis: the gateway's own
table, and the whole platform behind its gateway."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from domains.kit.config import Settings
from domains.kit.resources import Resources
from shopgraph.platform import build_platform_app
from tests.gateway.edge import OPERATIONS_DIR, client_of


@pytest.fixture
async def partners_table(resources: Resources) -> AsyncIterator[Resources]:
    """The gateway.partners table, emptied after the test (the shared cleanup empties
    domain schemas only)."""
    yield resources
    async with resources.engine.begin() as connection:
        await connection.execute(text("TRUNCATE gateway.partners"))


@pytest.fixture
async def platform(settings: Settings, resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    """The whole platform in-process (the gateway with its edge settings from Settings),
    over the test run's Postgres and Redis; tables are emptied after the test."""
    app = build_platform_app(dataclasses.replace(settings, gateway_operations_dir=OPERATIONS_DIR))
    async with client_of(app, "http://shop.test") as client:
        yield client
