"""Live events: every new entry of an event's stream, handed to each subscriber in this
process, for GraphQL subscriptions.

Consumer groups share a stream's entries out among their consumers; a subscription must
instead see every entry added after it subscribed. So a subscription reads with plain
XREAD, and per process there is one XREAD loop per stream, whatever the number of
subscribers: it starts with the first subscriber of that stream and stops with the last,
and fans each entry out to the subscribers' queues.

- Only committed state: the relay adds an event to its stream after the transaction
  that wrote it has committed (relay.py), so a subscriber never hears of a change a
  rollback undid. Within one stream entries keep the relay's order, which is commit
  order per aggregate (one relay batch follows the outbox's position).
- Each subscriber starts at the stream's last entry when it subscribes: it gets what
  comes after, nothing from before, even if the loop, shared with older subscribers,
  is still behind.
- Redis going away loses nothing: the loop resumes from the last entry id it read once
  Redis answers again. (A Redis that lost its data starts its ids again from zero: the
  loop then follows the new stream from its start.)
- Bounded: a subscriber whose queue is full is dropped with `SubscriberFellBehind`
  rather than holding the loop back or buffering without bound.
- Indexed: a subscriber that follows one aggregate (`match=("order_id", id)`) is
  handed only that aggregate's entries, found by a dict lookup per entry. A thousand
  shoppers each following their order then cost one lookup per event, not a thousand
  queue puts and wake-ups that each throw the entry away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from domains.kit.aio import raise_if_stopping
from domains.kit.events.relay import EntryId, parse_entry_id
from domains.kit.events.streams import as_text, stream_key
from domains.kit.resources import Resources

logger = logging.getLogger("shopgraph.events")

# How long one XREAD waits for new entries, and so how long a loop may take to stop
# (stop() waits for the read in hand rather than cancelling it); an idle stream costs
# this process ten reads a second.
BLOCK_MILLISECONDS = 100
READ_BATCH = 100
RECONNECT_DELAYS_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0)
# Entries a subscriber may have waiting before it is dropped as too slow.
DEFAULT_BUFFER = 256


class SubscriberFellBehind(RuntimeError):
    """The subscriber did not keep up with its stream and was dropped."""


@dataclass(frozen=True)
class LiveEntry:
    """One stream entry: the event's name, its id in the stream, its decoded payload."""

    event_name: str
    entry_id: str
    event_id: str
    payload: dict[str, Any]


_END = object()


@dataclass(eq=False)
class _Subscriber:
    queue: asyncio.Queue[LiveEntry | object]
    # Per stream: entries at or below this id came before the subscription.
    after: dict[str, EntryId] = field(default_factory=dict)
    fell_behind: bool = False
    # (payload field, value): only entries whose payload holds that value are offered.
    match: tuple[str, str] | None = None

    def offer(self, stream: str, entry: LiveEntry, entry_id: EntryId) -> None:
        if self.fell_behind or entry_id <= self.after.get(stream, (0, 0)):
            return
        try:
            self.queue.put_nowait(entry)
        except asyncio.QueueFull:
            self.fell_behind = True
            # Make room for the end mark: what was queued is no longer worth reading.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(_END)


class _StreamLoop:
    """The XREAD loop of one stream, and the subscribers it feeds."""

    def __init__(self, redis: Redis, stream: str, event_name: str, position: EntryId) -> None:
        self.redis = redis
        self.stream = stream
        self.event_name = event_name
        self.position = position
        self.subscribers: set[_Subscriber] = set()
        self._everything: set[_Subscriber] = set()
        self._matching: dict[str, dict[str, set[_Subscriber]]] = {}
        self._stopping = False
        self.task = asyncio.create_task(self._run(), name=f"live:{event_name}")

    async def stop(self) -> None:
        """End the loop after the XREAD in hand (at most BLOCK_MILLISECONDS). Not by
        cancelling it mid-read: on Python 3.11 redis-py can swallow a cancellation that
        lands in a blocking read and leave the task waiting forever. Cancelled only if it
        has not ended well after its read's time."""
        self._stopping = True
        done, _ = await asyncio.wait([self.task], timeout=BLOCK_MILLISECONDS / 1000 + 2.0)
        if not done:
            self.task.cancel()
            await asyncio.wait([self.task], timeout=1.0)

    def add(self, subscriber: _Subscriber) -> None:
        self.subscribers.add(subscriber)
        if subscriber.match is None:
            self._everything.add(subscriber)
        else:
            name, value = subscriber.match
            self._matching.setdefault(name, {}).setdefault(value, set()).add(subscriber)

    def discard(self, subscriber: _Subscriber) -> None:
        self.subscribers.discard(subscriber)
        self._everything.discard(subscriber)
        if subscriber.match is not None:
            name, value = subscriber.match
            by_value = self._matching.get(name, {})
            following = by_value.get(value)
            if following is not None:
                following.discard(subscriber)
                if not following:
                    del by_value[value]
                if not by_value:
                    self._matching.pop(name, None)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                response = await self.redis.xread(
                    {self.stream: "{}-{}".format(*self.position)},
                    count=READ_BATCH,
                    block=BLOCK_MILLISECONDS,
                )
                failures = 0
            except (RedisConnectionError, RedisTimeoutError, OSError) as error:
                raise_if_stopping(error)
                delay = RECONNECT_DELAYS_SECONDS[min(failures, len(RECONNECT_DELAYS_SECONDS) - 1)]
                failures += 1
                logger.warning(
                    "live %s: Redis unreachable (%s); resuming after %s in %.2fs",
                    self.event_name,
                    error,
                    self.position,
                    delay,
                )
                await asyncio.sleep(delay)
                await self._follow_a_new_stream()
                continue
            if self._stopping:
                break
            batches: list[Any] = list(response or [])
            for _stream, entries in batches:
                for raw_id, fields in entries:
                    self._deliver(as_text(raw_id), fields)

    async def _follow_a_new_stream(self) -> None:
        """After an outage: a stream whose last id is below ours is a new one (Redis lost
        its data); read it from its start."""
        with contextlib.suppress(Exception):
            last = await _last_entry_id(self.redis, self.stream)
            if last < self.position:
                self.position = (0, 0)
                for subscriber in self.subscribers:
                    subscriber.after.pop(self.stream, None)

    def _deliver(self, raw_id: str, fields: dict[Any, Any]) -> None:
        entry_id = parse_entry_id(raw_id)
        self.position = entry_id
        values = {as_text(key): as_text(value) for key, value in fields.items()}
        try:
            payload = json.loads(values.get("payload", "{}"))
        except ValueError:
            logger.error("live %s: entry %s has no JSON payload", self.event_name, raw_id)
            return
        entry = LiveEntry(
            event_name=values.get("name", self.event_name),
            entry_id=raw_id,
            event_id=values.get("id", ""),
            payload=payload if isinstance(payload, dict) else {},
        )
        for subscriber in list(self._everything):
            subscriber.offer(self.stream, entry, entry_id)
        for name, by_value in list(self._matching.items()):
            value = entry.payload.get(name)
            if value is not None:
                for subscriber in list(by_value.get(str(value), ())):
                    subscriber.offer(self.stream, entry, entry_id)


async def _last_entry_id(redis: Redis, stream: str) -> EntryId:
    try:
        entries = await redis.xrevrange(stream, count=1)
    except ResponseError:
        return (0, 0)
    return parse_entry_id(as_text(entries[0][0])) if entries else (0, 0)


class LiveStreams:
    """The live stream loops of one process (one per Redis client): `live(...)`."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._loops: dict[str, _StreamLoop] = {}

    def subscribers(self, stream: str) -> int:
        loop = self._loops.get(stream)
        return 0 if loop is None else len(loop.subscribers)

    def running(self) -> list[str]:
        """The streams a loop reads now."""
        return sorted(self._loops)

    async def _join(self, subscriber: _Subscriber, streams: dict[str, str]) -> None:
        for stream, event_name in streams.items():
            start = await _last_entry_id(self.redis, stream)
            subscriber.after[stream] = start
            loop = self._loops.get(stream)
            if loop is None or loop.task.done():
                loop = _StreamLoop(self.redis, stream, event_name, start)
                self._loops[stream] = loop
            loop.add(subscriber)

    async def _leave(self, subscriber: _Subscriber, streams: Sequence[str]) -> None:
        stopping = []
        for stream in streams:
            loop = self._loops.get(stream)
            if loop is None:
                continue
            loop.discard(subscriber)
            if not loop.subscribers:
                del self._loops[stream]
                stopping.append(loop)
        for loop in stopping:
            await loop.stop()

    @contextlib.asynccontextmanager
    async def subscribe(
        self,
        streams: dict[str, str],
        *,
        buffer: int = DEFAULT_BUFFER,
        match: tuple[str, str] | None = None,
    ) -> AsyncIterator[AsyncIterator[LiveEntry]]:
        """Entries added to `streams` (stream key -> event name) from now on, for as long
        as the block lasts (with `match`, only those whose payload field holds the value);
        raises SubscriberFellBehind once more than `buffer` wait."""
        if buffer < 1:
            raise ValueError(f"a live subscriber's buffer must hold at least 1 entry, not {buffer}")
        subscriber = _Subscriber(asyncio.Queue(maxsize=buffer + 1), match=match)
        try:
            await self._join(subscriber, streams)
            yield _entries(subscriber)
        finally:
            await asyncio.shield(self._leave(subscriber, list(streams)))


async def _entries(subscriber: _Subscriber) -> AsyncIterator[LiveEntry]:
    while True:
        item = await subscriber.queue.get()
        if isinstance(item, LiveEntry):
            yield item
            continue
        raise SubscriberFellBehind(
            "This subscription fell too far behind its events and was ended; subscribe again."
        )


_processes: weakref.WeakKeyDictionary[Redis, LiveStreams] = weakref.WeakKeyDictionary()


def live_streams(resources: Resources) -> LiveStreams:
    """This process's live loops on the Redis of `resources`."""
    redis = resources.redis_for_blocking
    found = _processes.get(redis)
    if found is None:
        found = _processes[redis] = LiveStreams(redis)
    return found


@contextlib.asynccontextmanager
async def live(
    resources: Resources,
    event_names: Sequence[str],
    *,
    buffer: int = DEFAULT_BUFFER,
    match: tuple[str, str] | None = None,
) -> AsyncIterator[AsyncIterator[LiveEntry]]:
    """Every entry of the named events' streams added from now on, in stream order per
    event, while the block lasts; with `match` (payload field, value), only the entries
    of that one aggregate."""
    if not event_names:
        raise ValueError("live(...) needs at least one event name")
    streams = {stream_key(resources.settings, name): name for name in event_names}
    async with live_streams(resources).subscribe(streams, buffer=buffer, match=match) as entries:
        yield entries
