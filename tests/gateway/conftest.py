"""Fixtures of the gateway edge tests that touch Postgres: the gateway's own table."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from domains.kit.resources import Resources


@pytest.fixture
async def partners_table(resources: Resources) -> AsyncIterator[Resources]:
    """The gateway.partners table, emptied after the test (the shared cleanup empties
    domain schemas only)."""
    yield resources
    async with resources.engine.begin() as connection:
        await connection.execute(text("TRUNCATE gateway.partners"))
