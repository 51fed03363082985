"""The event machinery as background workers of a subgraph (SubgraphSpec.workers).

`shopgraph serve` runs every domain's workers in its one process; a subgraph deployed
alone runs its own. Either way a domain's relay and consumer live in the process that
serves the domain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from domains.kit.app import BackgroundWorker
from domains.kit.events.consumer import Consumer, Subscription
from domains.kit.events.relay import Relay
from domains.kit.events.tables import EventTables
from domains.kit.resources import Resources


def relay_worker(tables: EventTables, *, producer: str) -> BackgroundWorker:
    async def relay(resources: Resources) -> None:
        await Relay(resources, tables, producer=producer).run()

    relay.__name__ = f"{producer}_outbox_relay"
    return relay


def consumer_worker(
    tables: EventTables,
    *,
    group: str,
    subscriptions: Callable[[Resources], Sequence[Subscription[Any]]],
) -> BackgroundWorker:
    async def consume(resources: Resources) -> None:
        consumer = Consumer(resources, tables, group=group, subscriptions=subscriptions(resources))
        await consumer.run()

    consume.__name__ = f"{group}_event_consumer"
    return consume
