"""Where events travel: one Redis Stream per event name.

One stream per event (not per producing domain) lets a consuming domain read exactly the
events it handles, with one consumer group per consuming domain on each of them; the
price is that order holds within one event type only, so consumers that care about the
order of an aggregate's changes compare a sequence number carried by the event.
"""

from __future__ import annotations

from domains.kit.config import Settings

# Roughly how many entries a stream keeps; consumers are expected to be far closer
# behind than that (a consumer further behind reads from the outbox tables' history).
STREAM_MAX_LENGTH = 100_000


def stream_key(settings: Settings, event_name: str) -> str:
    return f"{settings.redis_key_prefix}events:{event_name}"


def dead_letter_key(settings: Settings, group: str) -> str:
    return f"{settings.redis_key_prefix}events-dead:{group}"
