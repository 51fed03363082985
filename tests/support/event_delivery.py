"""Handing a domain one event as its consumer would, without streams: for tests of what
a domain does with another's events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from domains.kit.db import transaction
from domains.kit.events import Event, EventMeta, decode_event, encode_event, run_commit_hooks
from domains.kit.events.consumer import Subscription
from domains.kit.resources import Resources


async def deliver(
    resources: Resources, subscriptions: Sequence[Subscription[Any]], event: Event
) -> None:
    """`event` as the consuming domain gets it: its producer's JSON, read by the reader of
    that name among `subscriptions`, handled in a transaction, committed, and the commit's
    hooks run."""
    (subscription,) = [entry for entry in subscriptions if entry.event.name == type(event).name]
    read = decode_event(subscription.event, encode_event(event))
    meta = EventMeta(uuid.uuid4(), event.name, event.version, "test", datetime.now(UTC))
    async with transaction(resources.session_factory) as session:
        await subscription.handler(session, read, meta)
    await run_commit_hooks(session)
