"""The event machinery as background workers of a subgraph (SubgraphSpec.workers).

`shopgraph serve` runs every domain's workers in its one process; a subgraph deployed
alone runs its own, and `shopgraph worker` runs them without serving HTTP. Each worker
also samples how far behind it is (domains/kit/events/monitor.py) for `/metrics`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from domains.kit.app import BackgroundWorker, stop_tasks
from domains.kit.events.consumer import Consumer, Subscription
from domains.kit.events.monitor import sample_consumer_lag, sample_forever, sample_outbox_backlog
from domains.kit.events.relay import Relay
from domains.kit.events.tables import EventTables
from domains.kit.resources import Resources

logger = logging.getLogger("shopgraph.events")


async def run_together(*loops: Coroutine[Any, Any, None]) -> None:
    """Run loops that never end on their own until one fails or this task is cancelled.

    Not a TaskGroup: on Python 3.11 a cancelled TaskGroup cancels its children once and
    then waits for them without bound, so a child that absorbed that one cancellation
    kept its parent alive past shutdown. Here the children are stopped in bounded,
    repeated rounds (`stop_tasks`).
    """
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in await stop_tasks(tasks):
            logger.error("worker loop %s ignored cancellation; leaving it", task.get_name())


def relay_worker(tables: EventTables, *, producer: str) -> BackgroundWorker:
    if producer != tables.producer:
        # A process sending its own events names them by the outbox's schema (eager.py);
        # the relay must record the same producer, or it would keep a second epoch.
        raise ValueError(f"relay {producer!r} for the outbox of {tables.producer!r}")

    async def relay(resources: Resources) -> None:
        await run_together(
            Relay(resources, tables, producer=producer).run(),
            sample_forever(
                f"{producer} outbox",
                lambda: sample_outbox_backlog(resources, tables, domain=producer),
            ),
        )

    return _named(relay, f"{producer}_outbox_relay")


def consumer_worker(
    tables: EventTables,
    *,
    group: str,
    subscriptions: Callable[[Resources], Sequence[Subscription[Any]]],
) -> BackgroundWorker:
    async def consume(resources: Resources) -> None:
        consumer = Consumer(resources, tables, group=group, subscriptions=subscriptions(resources))
        await run_together(
            consumer.run(),
            sample_forever(
                f"{group} consumer",
                lambda: sample_consumer_lag(
                    resources, service=group, group=group, streams=consumer.streams
                ),
            ),
        )

    return _named(consume, f"{group}_event_consumer")


def _named(worker: BackgroundWorker, name: str) -> BackgroundWorker:
    # How logs and `shopgraph worker` name the worker.
    worker.__name__ = name
    return worker


def event_workers(
    tables: EventTables,
    *,
    domain: str,
    subscriptions: Callable[[Resources], Sequence[Subscription[Any]]],
) -> tuple[BackgroundWorker, BackgroundWorker]:
    """A domain that publishes and reacts: its outbox relay and its consumer group, both
    named for the domain."""
    return (
        relay_worker(tables, producer=domain),
        consumer_worker(tables, group=domain, subscriptions=subscriptions),
    )
