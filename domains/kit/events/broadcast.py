"""An event announced on Redis pub/sub as its transaction commits: a fast lane beside the
outbox, for a listener waiting right now for that one event.

The outbox and its relay stay the delivery every consumer relies on: at least once, in
order, surviving crashes. A broadcast arrives a relay round and a consumer round sooner
(checkoutComplete's waiter hears its order's decision without the hop through the orders
relay and the carts consumer), and it may be lost: Redis away, nobody subscribed, a
listener that missed it. So a listener acts on a broadcast only in ways the guaranteed
delivery repeats harmlessly (the carts waiter applies the status change exactly as the
carts consumer will, guarded by the order's status sequence).

The message is the event as a stream entry carries it (name, version, payload), on a
channel named after the event and a key the producer and the listener agree on (the
order id for OrderStatusChanged), so the listener reads it with its own contract-tested
reader of that event.
"""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from domains.kit.config import Settings
from domains.kit.events.codec import Event, EventDecodeError, decode_event, encode_event
from domains.kit.redis_keys import glob_escaped

logger = logging.getLogger("shopgraph.events")

E = TypeVar("E", bound=Event)

_PREFIX = "broadcast:"


def broadcast_channel(settings: Settings, event_name: str, key: str) -> str:
    return f"{settings.redis_key_prefix}{_PREFIX}{event_name}:{key}"


def broadcast_pattern(settings: Settings, event_name: str) -> str:
    """The PSUBSCRIBE pattern of every broadcast of `event_name`."""
    return f"{glob_escaped(settings.redis_key_prefix)}{_PREFIX}{event_name}:*"


def broadcast_key(settings: Settings, event_name: str, channel: str) -> str | None:
    """The key a broadcast channel of `event_name` names; None for another channel."""
    prefix = f"{settings.redis_key_prefix}{_PREFIX}{event_name}:"
    return channel.removeprefix(prefix) if channel.startswith(prefix) else None


async def broadcast(redis: Redis, settings: Settings, event: Event, key: str) -> None:
    """Announce `event` (already committed) to whoever listens for it now. Best effort:
    a failure is logged, since the outbox delivers the event all the same."""
    message = json.dumps(
        {"name": event.name, "version": event.version, "payload": encode_event(event)},
        separators=(",", ":"),
    )
    try:
        await redis.publish(broadcast_channel(settings, event.name, key), message)
    except RedisError as error:
        logger.warning(
            "could not broadcast %s %s (%s); the outbox delivers it", event.name, key, error
        )


def read_broadcast(cls: type[E], data: Any) -> E:
    """The broadcast message as `cls` reads it; EventDecodeError when it is not one."""
    try:
        message = json.loads(data)
    except (TypeError, ValueError) as error:
        raise EventDecodeError(f"{cls.name} broadcast: not JSON ({error})") from None
    if not isinstance(message, dict) or message.get("name") != cls.name:
        raise EventDecodeError(f"{cls.name} broadcast: another event")
    if message.get("version") != cls.version:
        raise EventDecodeError(
            f"{cls.name} broadcast version {message.get('version')}; read version {cls.version}"
        )
    return decode_event(cls, message.get("payload"))
