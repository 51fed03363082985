"""Cache reads made within two passes of the event loop, sent as one MGET.

A request reads the entity cache through several dataloaders at once: a listing asks for
its products, their images and ratings, and the live promotions together, and under load
many requests do the same in the same instant. Each dataloader batch would otherwise be
an MGET of its own, and with redis-py every round trip costs CPU of its own (the command
packed, a pooled connection taken and given back, the reply parsed) besides the wait.
Here every read made within two passes of the loop joins one MGET of the distinct keys,
as ioredis's auto-pipelining does for Node; each caller gets its own keys' values.

The wait this adds is two passes of the loop; the latency a request saves is a round trip
for each read that joined another.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from domains.kit.redis_keys import get_many

_Waiter = tuple[Sequence[str], "asyncio.Future[list[Any]]"]


class CoalescedReads:
    """The reads waiting for this client's next MGET."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._waiting: list[_Waiter] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sending: set[asyncio.Task[None]] = set()

    def get_many(self, keys: Sequence[str]) -> asyncio.Future[list[Any]]:
        """The raw value of each key (None where there is none), from the next MGET."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Reads queued on a loop that has since closed will never be sent.
            self._loop, self._waiting = loop, []
        answer: asyncio.Future[list[Any]] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._one_more_pass)
        self._waiting.append((keys, answer))
        return answer

    def _one_more_pass(self) -> None:
        # A read started with ensure_future runs its first step one pass after it was
        # asked for; a dataloader's batch two (aiodataloader schedules its dispatch, which
        # then starts a task). Waiting two passes lets the two kinds meet.
        if self._loop is not None:
            self._loop.call_soon(self._send_waiting)

    def _send_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        if self._loop is not None and waiting:
            # The loop keeps only a weak reference to a task: held here until it is done.
            sending = self._loop.create_task(self._send(waiting))
            self._sending.add(sending)
            sending.add_done_callback(self._sending.discard)

    async def _send(self, waiting: list[_Waiter]) -> None:
        distinct = list(dict.fromkeys(key for keys, _ in waiting for key in keys))
        try:
            values = await get_many(self.redis, distinct)
        except asyncio.CancelledError:
            for _, answer in waiting:
                answer.cancel()
            raise
        except Exception as error:
            for _, answer in waiting:
                if not answer.done():
                    answer.set_exception(error)
            return
        by_key = dict(zip(distinct, values, strict=True))
        for keys, answer in waiting:
            if not answer.done():
                answer.set_result([by_key[key] for key in keys])


_reads_by_client: weakref.WeakKeyDictionary[Redis, CoalescedReads] = weakref.WeakKeyDictionary()


def coalesced_reads(redis: Redis) -> CoalescedReads:
    """The shared reads of `redis`: every cache on one client joins the same MGETs."""
    reads = _reads_by_client.get(redis)
    if reads is None:
        reads = _reads_by_client[redis] = CoalescedReads(redis)
    return reads
