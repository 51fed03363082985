"""Where events travel: one Redis Stream per event name.

One stream per event (not per producing domain) lets a consuming domain read exactly the
events it handles, with one consumer group per consuming domain on each of them; the
price is that order holds within one event type only, so consumers that care about the
order of an aggregate's changes compare a sequence number carried by the event.
"""

from __future__ import annotations

from typing import Any

from domains.kit.config import Settings
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


def as_text(value: Any) -> str:
    """A stream field, id or name as redis-py hands it over (bytes, or str when decoded)."""
    return value.decode() if isinstance(value, bytes) else str(value)
