"""The event machinery as background workers of a subgraph (SubgraphSpec.workers).

`shopgraph serve` runs every domain's workers in its one process; a subgraph deployed
alone runs its own, and `shopgraph worker` runs them without serving HTTP. Each worker
also samples how far behind it is (domains/kit/events/monitor.py) for `/metrics`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from domains.kit.app import BackgroundWorker
from domains.kit.events.consumer import Consumer, Subscription
from domains.kit.events.monitor import sample_consumer_lag, sample_forever, sample_outbox_backlog
from domains.kit.events.relay import Relay
from domains.kit.events.tables import EventTables
from domains.kit.resources import Resources


def relay_worker(tables: EventTables, *, producer: str) -> BackgroundWorker:
    async def relay(resources: Resources) -> None:
        async def sample() -> None:
            await sample_outbox_backlog(resources, tables, domain=producer)

        # Cancelling the worker cancels both; neither ends on its own.
        async with asyncio.TaskGroup() as group:
            group.create_task(Relay(resources, tables, producer=producer).run())
            group.create_task(sample_forever(f"{producer} outbox", sample))

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

        async def sample() -> None:
            await sample_consumer_lag(
                resources, service=group, group=group, streams=consumer.streams
            )

        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(consumer.run())
            tasks.create_task(sample_forever(f"{group} consumer", sample))

    consume.__name__ = f"{group}_event_consumer"
    return consume
