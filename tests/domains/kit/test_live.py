"""The kit's live event streams against real Redis: a subscriber sees only what comes
after it subscribed, and one that falls behind is dropped, not buffered without bound."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest
from redis.asyncio import Redis

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


async def test_a_matching_subscriber_is_handed_only_its_aggregates_entries(
    resources: Resources,
) -> None:
    """Thirty entries: the subscriber following n=4 is handed that one alone (with a
    buffer of one, the 29 others would have dropped it), and one following nothing in
    particular gets them all."""
    async with (
        live(resources, ["LiveKeyed"], match=("n", "4"), buffer=1) as mine,
        live(resources, ["LiveKeyed"]) as everything,
    ):
        await _add(resources, "LiveKeyed", 30)
        assert [(await anext(everything)).payload["n"] for _ in range(30)] == list(range(30))
        assert (await anext(mine)).payload["n"] == 4
        await _add(resources, "LiveKeyed", 1, start=4)
        assert (await anext(mine)).payload["n"] == 4
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


async def test_a_lost_redis_connection_loses_no_entry(
    resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    # A client of its own, named, so that this test cuts exactly the loop's connection.
    name = f"sg-live-{uuid.uuid4().hex[:8]}"
    assert resources.settings.redis_url is not None
    redis = Redis.from_url(resources.settings.redis_url, client_name=name)
    own = dataclasses.replace(resources, redis=redis, blocking_redis=None)
    try:
        async with live(own, ["LiveCut"]) as entries:
            await _add(resources, "LiveCut", 1)
            seen = [(await anext(entries)).payload["n"]]
            clients = await resources.redis.client_list()
            (loop_client,) = [client for client in clients if client.get("name") == name]
            await resources.redis.client_kill_filter(_id=loop_client["id"])
            await _add(resources, "LiveCut", 3, start=1)
            seen += [(await anext(entries)).payload["n"] for _ in range(3)]
    finally:
        await redis.aclose()
    assert seen == [0, 1, 2, 3]
    assert "LiveCut: Redis unreachable" in caplog.text  # the cut did reach the loop
