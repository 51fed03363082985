from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from domains.kit.resources import Resources
from tests.support.event_bus import Bus, open_bus


@pytest.fixture
async def bus(resources: Resources) -> AsyncIterator[Bus]:
    async with open_bus(resources) as opened:
        yield opened
