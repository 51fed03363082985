"""Domain events: the outbox, the relay and idempotent consumers, on real Postgres and Redis."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.app import stop_tasks
from domains.kit.db import transaction
from domains.kit.events import (
    Consumer,
    EventMeta,
    Relay,
    Subscription,
    decode_event,
    encode_event,
    json_schema,
    publish,
    publish_all,
    stream_key,
)
from domains.kit.events.codec import EventDecodeError
from domains.kit.events.consumer import SimulatedCrash
from domains.kit.events.outbox import notify_channel, wakeup
from domains.kit.events.streams import dead_letter_key
from tests.support.event_bus import Bus, ParcelShipped, ParcelShippedReader, parcel
from tests.support.sql_counter import SqlCounter, statements_sent


def test_an_event_round_trips_through_json() -> None:
    event = parcel("fragile")

    assert decode_event(ParcelShipped, encode_event(event)) == event


def test_a_reader_ignores_fields_it_does_not_know_and_refuses_missing_ones() -> None:
    event = parcel()

    assert decode_event(ParcelShippedReader, encode_event(event)).parcel_id == event.parcel_id
    with pytest.raises(EventDecodeError, match="missing field 'parcel_id'"):
        decode_event(ParcelShippedReader, {"shipped_at": "2026-01-01T00:00:00+00:00"})
    with pytest.raises(EventDecodeError, match=r"lines\.0\.quantity: expected int"):
        decode_event(
            ParcelShipped,
            {**encode_event(event), "lines": [{"sku": "A", "quantity": "2"}]},
        )


def test_the_json_schema_describes_the_payload() -> None:
    schema = json_schema(ParcelShipped)

    assert schema["x-event-name"] == "ParcelShipped"
    assert schema["x-event-version"] == 1
    assert schema["required"] == ["parcel_id", "shipped_at", "lines"]
    assert schema["properties"]["lines"] == {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer"}},
            "required": ["sku", "quantity"],
        },
    }
    assert schema["properties"]["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}


async def test_an_event_of_a_rolled_back_transaction_never_leaves(bus: Bus) -> None:
    async def failing_change() -> None:
        async with transaction(bus.resources.session_factory) as session:
            await publish(session, bus.tables, parcel())
            raise RuntimeError("the state change failed")

    with pytest.raises(RuntimeError):
        await failing_change()

    assert await bus.count(bus.tables.outbox) == 0
    assert await bus.relay().relay_once() == 0


async def test_the_relay_sends_committed_events_once(bus: Bus) -> None:
    event_id = await bus.publish(parcel())

    assert await bus.relay().relay_once() == 1
    assert await bus.relay().relay_once() == 0

    stream = stream_key(bus.resources.settings, "ParcelShipped")
    entries = await bus.resources.redis.xrange(stream)
    assert [entry[1][b"id"].decode() for entry in entries] == [str(event_id)]
    assert entries[0][1][b"version"] == b"1"
    assert await bus.count(bus.tables.outbox, bus.tables.outbox.c.relayed_at.is_(None)) == 0


async def test_events_published_together_are_one_statement_and_relayed_in_their_order(
    bus: Bus, sql_counter: SqlCounter
) -> None:
    parcels = [parcel(note) for note in ("first", "second", "third")]
    sql_counter.reset()
    async with transaction(bus.resources.session_factory) as session:
        ids = await publish_all(session, bus.tables, parcels)
        await publish(session, bus.tables, parcel("after"))
    outbox = bus.tables.outbox.fullname
    written = [s for s in sql_counter.statements if f"INSERT INTO {outbox}" in s]

    assert await bus.relay().relay_once() == 4
    stream = stream_key(bus.resources.settings, "ParcelShipped")
    entries = await bus.resources.redis.xrange(stream)
    relayed = [(entry[1][b"id"].decode(), entry[1][b"payload"]) for entry in entries]
    assert [event_id for event_id, _ in relayed[:3]] == [str(event_id) for event_id in ids]
    assert [
        decode_event(ParcelShipped, json.loads(payload)) for _, payload in relayed[:3]
    ] == parcels, "each payload as publish writes it"
    assert len(written) == 2, "the three together, then the fourth"
    assert "pg_notify" in written[0], "the first write wakes the relays"
    assert "pg_notify" not in written[1], "and only the first"


async def test_concurrent_relays_send_each_event_once(bus: Bus) -> None:
    ids = {await bus.publish(parcel()) for _ in range(60)}
    relays = [Relay(bus.resources, bus.tables, producer="test", batch=7) for _ in range(4)]

    async def drain(relay: Relay) -> None:
        while await relay.relay_once():
            pass

    await asyncio.gather(*(drain(relay) for relay in relays))

    entries = await bus.resources.redis.xrange(stream_key(bus.resources.settings, "ParcelShipped"))
    sent = [entry[1][b"id"].decode() for entry in entries]
    assert sorted(sent) == sorted(str(i) for i in ids)


async def test_a_consumer_applies_an_event_once_however_often_it_arrives(bus: Bus) -> None:
    consumer = bus.consumer()
    await consumer.ensure_groups()
    await bus.publish(parcel())
    await bus.relay().relay_once()
    # The relay crashed after its XADD and before its commit, and sent the batch again.
    async with transaction(bus.resources.session_factory) as session:
        await session.execute(bus.tables.outbox.update().values(relayed_at=None))
    await bus.relay().relay_once()

    assert await consumer.consume_once() == 2

    assert await bus.count(bus.effects) == 1
    assert await bus.count(bus.tables.processed_events) == 1
    assert await bus.pending() == 0


async def test_a_crash_between_commit_and_ack_is_recovered_without_a_second_effect(
    bus: Bus,
) -> None:
    crashing = bus.consumer("doomed")
    await crashing.ensure_groups()
    await bus.publish(parcel())
    await bus.relay().relay_once()

    async def crash(entry_id: str) -> None:
        raise SimulatedCrash(entry_id)

    crashing.before_ack = crash
    with pytest.raises(SimulatedCrash):
        await crashing.consume_once()
    assert await bus.count(bus.effects) == 1
    assert await bus.pending() == 1

    restarted = bus.consumer("restarted")
    assert await restarted.consume_once() == 0  # nothing new: the entry is pending
    assert await restarted.reclaim_once(min_idle_ms=0) == 1

    assert await bus.count(bus.effects) == 1
    assert await bus.pending() == 0


async def test_a_failed_handler_is_retried_and_finally_dead_lettered(bus: Bus) -> None:
    consumer = bus.consumer(max_deliveries=3)
    await consumer.ensure_groups()
    await bus.publish(parcel())
    await bus.relay().relay_once()

    bus.fail_next = ["boom"]
    await consumer.consume_once()
    assert await bus.count(bus.effects) == 0, "the failed handler's writes rolled back"
    assert await bus.pending() == 1
    assert await consumer.reclaim_once(min_idle_ms=0) == 1
    assert await bus.count(bus.effects) == 1
    assert await bus.pending() == 0

    await bus.publish(parcel())
    await bus.relay().relay_once()
    bus.fail_next = ["1", "2", "3"]
    await consumer.consume_once()
    await consumer.reclaim_once(min_idle_ms=0)
    await consumer.reclaim_once(min_idle_ms=0)

    assert await bus.pending() == 0
    dead = await bus.resources.redis.xrange(dead_letter_key(bus.resources.settings, "testers"))
    assert len(dead) == 1
    assert dead[0][1][b"reason"] == b"RuntimeError('1')"


async def test_a_relay_stops_when_cancelled_just_as_it_is_woken(bus: Bus) -> None:
    relay = bus.relay()
    running = asyncio.create_task(relay.run())
    await bus.publish(parcel())
    for _ in range(500):  # until the relay has sent it and gone idle, waiting to be woken
        await asyncio.sleep(0.01)
        if not await bus.count(bus.tables.outbox, bus.tables.outbox.c.relayed_at.is_(None)):
            break
    await asyncio.sleep(0.05)

    wakeup(bus.tables.outbox.fullname).set()
    running.cancel()
    done, _ = await asyncio.wait([running], timeout=5)
    await stop_tasks([running])  # should the assertion fail, end the runaway relay

    assert running in done, "the relay went on after its cancellation"
    assert running.cancelled()


async def test_a_stopped_consumer_acknowledges_the_entry_in_hand_first(bus: Bus) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(session: AsyncSession, event: ParcelShippedReader, meta: EventMeta) -> None:
        await session.execute(insert(bus.effects).values(event_id=meta.event_id, note="slow"))
        started.set()
        await release.wait()

    consumer = Consumer(
        bus.resources,
        bus.tables,
        group="testers",
        subscriptions=[Subscription(ParcelShippedReader, slow)],
        consumer_name="stopping",
    )
    await consumer.ensure_groups()
    await bus.publish(parcel())
    await bus.relay().relay_once()
    task = asyncio.create_task(consumer.consume_once())
    async with asyncio.timeout(10):
        await started.wait()

    task.cancel()  # shutdown lands while the handler runs
    await asyncio.sleep(0.05)
    assert not task.done()  # still finishing the entry
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await bus.count(bus.effects) == 1
    assert await bus.pending() == 0


async def test_a_commit_in_another_process_wakes_the_relay(bus: Bus) -> None:
    """The relay polls only every minute here: the event reaches the stream because the
    other process's commit NOTIFYs the outbox's channel, which the relay LISTENs on."""
    relay = bus.relay()
    running = asyncio.create_task(relay.run(idle_poll_seconds=60))
    stream = stream_key(bus.resources.settings, "ParcelShipped")
    outbox = bus.tables.outbox
    event_id = uuid.uuid4()
    # Another process writes the event as publish() would: the row and the NOTIFY, in one
    # transaction (the relay has already had its first round, and now waits).
    writer = f"""
import asyncio, asyncpg, json
async def main():
    connection = await asyncpg.connect({bus.resources.settings.database_url!r})
    async with connection.transaction():
        await connection.execute(
            "INSERT INTO {outbox.schema}.outbox (id, name, version, payload) "
            "VALUES ($1, 'ParcelShipped', 1, $2::jsonb)",
            {str(event_id)!r},
            json.dumps({{"parcel_id": {str(uuid.uuid4())!r}}}),
        )
        await connection.execute("SELECT pg_notify($1, '')", {notify_channel(bus.tables)!r})
    await connection.close()
asyncio.run(main())
"""
    try:
        await asyncio.sleep(0.5)  # the relay's first round is over; it waits to be woken
        process = await asyncio.create_subprocess_exec(sys.executable, "-c", writer)
        assert await process.wait() == 0

        sent: list[str] = []
        for _ in range(100):  # bounded: ten seconds, far below the minute's poll
            entries = await bus.resources.redis.xrange(stream)
            sent = [entry[1][b"id"].decode() for entry in entries]
            if sent:
                break
            await asyncio.sleep(0.1)
    finally:
        await stop_tasks([running])

    assert sent == [str(event_id)]


async def _commits_and_statements_of(
    bus: Bus, consume: Callable[[], Awaitable[int]]
) -> tuple[int, int, list[str]]:
    """What `consume` handled, the commits it made and the statements it sent."""
    from sqlalchemy import event as sa_event

    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    engine = bus.resources.engine.sync_engine
    sa_event.listen(engine, "commit", count)
    try:
        with statements_sent(bus.resources) as statements:
            handled = await consume()
    finally:
        sa_event.remove(engine, "commit", count)
    return handled, len(commits), statements


async def test_a_batch_commits_once_without_a_savepoint_per_event(bus: Bus) -> None:
    for _ in range(5):
        await bus.publish(parcel())
    await bus.relay().relay_once()
    consumer = bus.consumer()
    await consumer.ensure_groups()

    handled, commits, statements = await _commits_and_statements_of(bus, consumer.consume_once)

    assert handled == 5
    assert commits == 1, "the batch's effects commit together"
    assert not [statement for statement in statements if "SAVEPOINT" in statement]
    recorded = [statement for statement in statements if "processed_events" in statement]
    assert len(recorded) == 1, "the batch's ids are recorded in one statement"
    assert await bus.count(bus.effects) == 5
    assert await bus.pending() == 0


async def test_a_failing_event_alone_stays_pending_and_the_rest_of_its_batch_take_effect(
    bus: Bus,
) -> None:
    ids = [await bus.publish(parcel()) for _ in range(5)]
    bus.poisoned.add(ids[2])
    await bus.relay().relay_once()
    consumer = bus.consumer()
    await consumer.ensure_groups()

    handled, commits, _ = await _commits_and_statements_of(bus, consumer.consume_once)

    assert handled == 5
    assert commits == 4, "the batch rolled back, then each event in a transaction of its own"
    assert await bus.count(bus.effects) == 4, "nothing of the failing event's is kept"
    assert await bus.count(bus.tables.processed_events) == 4
    assert await bus.pending() == 1
    bus.poisoned.clear()
    assert await consumer.consume_once(own_pending=True) == 1
    assert await bus.count(bus.effects) == 5
    assert await bus.pending() == 0


async def test_a_batch_is_acknowledged_in_one_round_trip(bus: Bus) -> None:
    for _ in range(5):
        await bus.publish(parcel())
    await bus.relay().relay_once()
    consumer = bus.consumer()
    await consumer.ensure_groups()
    acknowledgements: list[int] = []
    xack = bus.resources.redis.xack

    async def counted_xack(stream: str, group: str, *entry_ids: str) -> int:
        acknowledgements.append(len(entry_ids))
        return await xack(stream, group, *entry_ids)

    bus.resources.redis.xack = counted_xack  # type: ignore[method-assign]
    try:
        assert await consumer.consume_once() == 5
    finally:
        del bus.resources.redis.xack

    assert acknowledgements == [5]
    assert await bus.pending() == 0


async def test_events_a_subscription_does_not_act_on_are_read_without_a_transaction(
    bus: Bus,
) -> None:
    acted_on = parcel()
    wanted = await bus.publish(acted_on)
    await bus.publish(parcel())
    await bus.relay().relay_once()
    handled: list[uuid.UUID] = []

    async def handle(session: AsyncSession, event: ParcelShippedReader, meta: EventMeta) -> None:
        await session.execute(insert(bus.effects).values(event_id=meta.event_id, note="x"))
        handled.append(meta.event_id)

    consumer = Consumer(
        bus.resources,
        bus.tables,
        group="testers",
        subscriptions=[
            Subscription(
                ParcelShippedReader,
                handle,
                only=lambda event: event.parcel_id == acted_on.parcel_id,
            )
        ],
    )
    await consumer.ensure_groups()
    while await consumer.consume_once():
        pass

    assert handled == [wanted]
    assert await bus.count(bus.effects) == 1
    assert await bus.count(bus.tables.processed_events) == 1, "the other left no record"
    assert await bus.pending() == 0, "and was acknowledged"


async def test_a_savepoint_released_is_not_the_commit_of_its_events(bus: Bus) -> None:
    """A service may write in a savepoint: releasing one must neither wake
    the relay for rows nobody else can see yet, nor make the transaction NOTIFY twice."""

    woken = wakeup(bus.tables.outbox.fullname)
    woken.clear()
    with statements_sent(bus.resources) as statements:
        async with transaction(bus.resources.session_factory) as session:
            async with session.begin_nested():
                await publish(session, bus.tables, parcel())
            woken_at_the_release = woken.is_set()
            await publish(session, bus.tables, parcel())

    assert not woken_at_the_release
    assert woken.is_set(), "the commit wakes the relay for both events"
    assert len([s for s in statements if "pg_notify" in s]) == 1
