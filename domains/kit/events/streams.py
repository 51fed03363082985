"""Where events travel: one Redis Stream per event name.

One stream per event (not per producing domain) lets a consuming domain read exactly the
events it handles, with one consumer group per consuming domain on each of them; the
price is that order holds within one event type only, so consumers that care about the
order of an aggregate's changes compare a sequence number carried by the event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from redis.asyncio import Redis

from domains.kit.config import Settings
from domains.kit.events.codec import payload_json
from domains.kit.redis_keys import EVENTS_TAG

# Roughly how many entries a stream keeps; consumers are expected to be far closer
# behind than that (a consumer further behind reads from the outbox tables' history).
STREAM_MAX_LENGTH = 100_000


def stream_key(settings: Settings, event_name: str) -> str:
    # One hash tag for every stream: a consumer reads all of its streams with one
    # XREADGROUP, which Redis Cluster allows only within one slot.
    return f"{settings.redis_key_prefix}{EVENTS_TAG}:{event_name}"


def dead_letter_key(settings: Settings, group: str) -> str:
    return f"{settings.redis_key_prefix}{EVENTS_TAG}:dead:{group}"


def relay_epoch_key(settings: Settings, producer: str) -> str:
    """Set by a domain's relay once Redis holds every event it has not seen delivered;
    gone when Redis has lost its data (relay.py)."""
    return f"{settings.redis_key_prefix}{EVENTS_TAG}:epoch:{producer}"


def entry_location(epoch: str, entry_id: str) -> str:
    """Where a relayed outbox row went, as its `stream_entry_id` records it."""
    return f"{epoch}:{entry_id}"


def as_text(value: Any) -> str:
    """A stream field, id or name as redis-py hands it over (bytes, or str when decoded)."""
    return value.decode() if isinstance(value, bytes) else str(value)


class StreamEvent(Protocol):
    """What adding an event to its stream needs: an outbox row, or an event a
    transaction has just committed (eager.py)."""

    @property
    def id(self) -> Any: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def payload(self) -> Any: ...
    @property
    def occurred_at(self) -> datetime: ...


async def add_to_streams(
    redis: Redis, settings: Settings, producer: str, events: Sequence[StreamEvent]
) -> tuple[str | None, list[str]]:
    """Add `events` to their streams in one pipeline, in their order; the producer's
    Redis epoch (read in the same pipeline, a round trip saved; None when Redis has
    none, relay.py) and the entries' ids."""
    pipe = redis.pipeline(transaction=False)
    pipe.get(relay_epoch_key(settings, producer))
    for event in events:
        pipe.xadd(
            stream_key(settings, event.name),
            {
                "id": str(event.id),
                "name": event.name,
                "version": str(event.version),
                "producer": producer,
                "occurred_at": event.occurred_at.isoformat(),
                "payload": payload_json(event.payload),
            },
            maxlen=STREAM_MAX_LENGTH,
            approximate=True,
        )
    epoch, *entries = await pipe.execute()
    return None if epoch is None else as_text(epoch), [as_text(entry) for entry in entries]
