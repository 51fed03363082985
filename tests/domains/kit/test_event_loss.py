"""No event is lost when Redis loses it: the outbox is the record, the streams a transport.

Each test runs its own Redis and kills it (SIGKILL, nothing kept on disk) right after the
relay has handed events to it, then restarts it empty or otherwise short of entries, and
sees every event's effect happen exactly once.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import transaction
from domains.kit.events import Consumer, Event, EventMeta, EventTables, Relay, Subscription, publish
from domains.kit.events.streams import stream_key
from domains.kit.resources import Resources
from tests.support.private_redis import PrivateRedis, private_redis
from tests.support.schemas import scratch_schema


@dataclass(frozen=True)
class StockCounted(Event):
    name = "StockCounted"
    version = 1

    count_id: uuid.UUID


@dataclass
class Line:
    """A producer, a consumer group and the effects it leaves, on a Redis of its own."""

    resources: Resources
    redis: PrivateRedis
    tables: EventTables
    effects: Table

    def relay(self) -> Relay:
        return Relay(self.resources, self.tables, producer="counting")

    def consumer(self) -> Consumer:
        async def handle(session: AsyncSession, event: StockCounted, meta: EventMeta) -> None:
            await session.execute(insert(self.effects).values(event_id=meta.event_id))

        return Consumer(
            self.resources,
            self.tables,
            group="stock-readers",
            subscriptions=[Subscription(StockCounted, handle)],
            consumer_name="reader-1",
        )

    async def publish(self, count: int) -> list[uuid.UUID]:
        ids = []
        for _ in range(count):
            async with transaction(self.resources.session_factory) as session:
                ids.append(await publish(session, self.tables, StockCounted(uuid.uuid4())))
        return ids

    async def drain(self, consumer: Consumer) -> None:
        """Consume until nothing is left, creating the group again after a reset."""
        for _ in range(20):
            await consumer.ensure_groups()
            if not await consumer.consume_once():
                return

    async def effects_by_event(self) -> dict[uuid.UUID, int]:
        async with self.resources.session_factory() as session:
            rows = await session.execute(
                select(self.effects.c.event_id, func.count()).group_by(self.effects.c.event_id)
            )
            return {event_id: int(count) for event_id, count in rows.all()}

    async def restart_redis_empty(self) -> None:
        """Kill Redis and start it again with nothing; the pooled connections learn of it
        on their next command, as the relay and consumers do (they retry their round)."""
        self.redis.restart_empty()
        for _ in range(5):
            try:
                await self.resources.redis.ping()
                return
            except RedisConnectionError:
                continue

    async def undelivered(self) -> int:
        outbox = self.tables.outbox
        async with self.resources.session_factory() as session:
            return int(
                await session.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.delivered_at.is_(None))
                )
                or 0
            )


@pytest.fixture
async def line(resources: Resources) -> AsyncIterator[Line]:
    def build(metadata: MetaData) -> tuple[EventTables, Table]:
        effects = Table(
            "effects",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("event_id", UUID(as_uuid=True), nullable=False),
        )
        return EventTables(metadata), effects

    with private_redis() as server:
        redis = Redis.from_url(server.url, socket_timeout=2, socket_connect_timeout=2)
        own = dataclasses.replace(resources, redis=redis, blocking_redis=redis)
        async with scratch_schema(own, "event_loss", build) as (tables, effects):
            yield Line(own, server, tables, effects)
        await redis.aclose()


async def test_events_relayed_just_before_redis_restarts_empty_take_effect_once(
    line: Line,
) -> None:
    consumer = line.consumer()
    await consumer.ensure_groups()
    handled = await line.publish(2)
    await line.relay().relay_once()
    await line.drain(consumer)  # two handled, acknowledged; the relay has not looked yet
    in_flight = await line.publish(3)
    assert await line.relay().relay_once() == 3

    await line.restart_redis_empty()  # the three entries were never read, and are gone

    await line.relay().relay_once()  # a new Redis epoch: what it lost is published again
    await line.drain(consumer)

    effects = await line.effects_by_event()
    assert effects == dict.fromkeys([*handled, *in_flight], 1)


async def test_new_events_relayed_first_after_redis_restarts_empty_bring_back_the_lost(
    line: Line,
) -> None:
    # The relay reads the epoch in the pipeline that adds the new events: finding none,
    # it begins one for them and publishes again what the old Redis took with it.
    consumer = line.consumer()
    await consumer.ensure_groups()
    lost = await line.publish(3)
    assert await line.relay().relay_once() == 3
    await line.restart_redis_empty()
    await consumer.ensure_groups()
    newer = await line.publish(2)

    assert await line.relay().relay_once() == 2
    await line.drain(consumer)

    effects = await line.effects_by_event()
    assert effects == dict.fromkeys([*lost, *newer], 1)


async def test_delivered_events_are_not_sent_again_after_a_reset(line: Line) -> None:
    consumer = line.consumer()
    await consumer.ensure_groups()
    ids = await line.publish(4)
    relay = line.relay()
    await relay.relay_once()
    await line.drain(consumer)

    assert await relay.check_delivery() == 4
    assert await line.undelivered() == 0

    await line.restart_redis_empty()
    await relay.relay_once()

    stream = stream_key(line.resources.settings, "StockCounted")
    assert await line.resources.redis.exists(stream) == 0, "nothing was published again"
    assert await line.effects_by_event() == dict.fromkeys(ids, 1)


async def test_a_pending_entry_is_not_delivered_until_acknowledged(line: Line) -> None:
    consumer = line.consumer()
    await consumer.ensure_groups()
    await line.publish(2)
    relay = line.relay()
    await relay.relay_once()
    # Read but not acknowledged (the consumer died before its XACK).
    await line.resources.redis.xreadgroup(
        "stock-readers",
        "reader-1",
        {stream_key(line.resources.settings, "StockCounted"): ">"},
        count=1,
    )

    assert await relay.check_delivery() == 0
    assert await line.undelivered() == 2


@pytest.mark.parametrize("shortfall", ["stream gone", "stream behind"])
async def test_a_stream_that_lost_its_newest_entries_is_published_again(
    line: Line, shortfall: str
) -> None:
    """As after a failover to a replica that lagged: Redis keeps its epoch key, but a
    stream is missing, or ends before the newest entry the outbox recorded."""
    consumer = line.consumer()
    ids = await line.publish(3)
    relay = line.relay()
    await relay.relay_once()
    stream = stream_key(line.resources.settings, "StockCounted")
    await line.resources.redis.delete(stream)
    if shortfall == "stream behind":
        await line.resources.redis.xadd(stream, {"name": "Unrelated"}, id="1-1")

    await relay.check_delivery()
    await line.drain(consumer)

    assert await line.effects_by_event() == dict.fromkeys(ids, 1)
