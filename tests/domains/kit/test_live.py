"""The kit's live event streams against real Redis: a subscriber sees only what comes
after it subscribed, and one that falls behind is dropped, not buffered without bound."""

from __future__ import annotations

import json

import pytest

from domains.kit.events import stream_key
from domains.kit.events.live import SubscriberFellBehind, live, live_streams
from domains.kit.resources import Resources


async def _add(resources: Resources, name: str, count: int, start: int = 0) -> None:
    # One MULTI/EXEC: a blocked XREAD wakes once, to all of them.
    pipe = resources.redis.pipeline(transaction=True)
    for number in range(start, start + count):
        pipe.xadd(
            stream_key(resources.settings, name),
            {"id": str(number), "name": name, "payload": json.dumps({"n": number})},
        )
    await pipe.execute()


async def test_a_subscriber_sees_only_entries_after_it_subscribed(resources: Resources) -> None:
    await _add(resources, "LiveBefore", 3)
    async with live(resources, ["LiveBefore"]) as entries:
        await _add(resources, "LiveBefore", 2, start=3)
        seen = [(await anext(entries)).payload["n"] for _ in range(2)]
    assert seen == [3, 4]
    assert live_streams(resources).running() == []


async def test_a_subscriber_that_falls_behind_is_dropped(resources: Resources) -> None:
    async with live(resources, ["LiveSlow"], buffer=2) as entries:
        # One batch of 50 reaches a queue that holds 2: the subscriber is ended.
        await _add(resources, "LiveSlow", 50)
        with pytest.raises(SubscriberFellBehind, match="fell too far behind"):
            await anext(entries)
    assert live_streams(resources).running() == []


async def test_a_buffer_must_hold_an_entry(resources: Resources) -> None:
    with pytest.raises(ValueError, match="at least 1 entry, not 0"):
        async with live(resources, ["LiveNone"], buffer=0):
            pass
