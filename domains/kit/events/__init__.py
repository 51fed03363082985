"""Domain events between domains: a transactional outbox, a relay to Redis Streams, and
idempotent consumers.

A domain writes an event into its own `<schema>.outbox` table in the same transaction
as the state change (`publish`); the relay copies committed rows to the Redis Stream
`<prefix>{events}:<EventName>`; every other domain that reacts reads that stream through
its own consumer group, runs its handler in a transaction that also records the event
id in its `<schema>.processed_events`, and acknowledges only after that commit. Delivery
is at least once; the effect happens once.
"""

from domains.kit.events.codec import Event, decode_event, encode_event, json_schema
from domains.kit.events.consumer import Consumer, EventMeta, Subscription, calling
from domains.kit.events.outbox import (
    on_commit,
    publish,
    publish_all,
    run_commit_hooks,
    savepoint,
    written_within,
)
from domains.kit.events.relay import Relay
from domains.kit.events.streams import stream_key
from domains.kit.events.tables import EventTables

__all__ = [
    "Consumer",
    "Event",
    "EventMeta",
    "EventTables",
    "Relay",
    "Subscription",
    "calling",
    "decode_event",
    "encode_event",
    "json_schema",
    "on_commit",
    "publish",
    "publish_all",
    "run_commit_hooks",
    "savepoint",
    "stream_key",
    "written_within",
]
