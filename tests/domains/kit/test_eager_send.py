"""A process sending its own committed events (domains/kit/events/eager.py), with the
relay as the fallback, on real Postgres and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, insert, select

from domains.kit.config import Settings
from domains.kit.db import transaction
from domains.kit.events import (
    EventTables,
    Relay,
    publish,
    publish_all,
    stream_key,
    written_within,
)
from domains.kit.events import eager as eager_module
from domains.kit.events.eager import EagerSender
from domains.kit.events.outbox import (
    EAGER_SENDER,
    CommittedEvent,
    savepoint,
    wakeup,
)
from domains.kit.events.relay import WRITER_SEND_GRACE
from domains.kit.events.streams import relay_epoch_key
from domains.kit.resources import Resources, open_resources
from tests.support.event_bus import Bus, open_bus, parcel
from tests.support.sql_counter import statements_sent


@pytest.fixture
async def eager(settings: Settings, resources: Resources) -> AsyncIterator[Bus]:
    """The event bus on handles that send as they commit, as the platform's do."""
    async with (
        open_resources(dataclasses.replace(settings, events_send_on_commit=True)) as own,
        open_bus(resources) as relayed_only,
    ):
        yield dataclasses.replace(relayed_only, resources=own)


def _sender(resources: Resources) -> EagerSender:
    sender = resources.session_factory.kw["info"][EAGER_SENDER]
    assert isinstance(sender, EagerSender)
    return sender


def _relay(bus: Bus, *, writer_grace: timedelta = WRITER_SEND_GRACE) -> Relay:
    return Relay(bus.resources, bus.tables, producer=bus.tables.producer, writer_grace=writer_grace)


async def _stream_ids(bus: Bus) -> list[str]:
    entries = await bus.resources.redis.xrange(stream_key(bus.resources.settings, "ParcelShipped"))
    return [entry[1][b"id"].decode() for entry in entries]


async def _unrelayed(bus: Bus) -> int:
    return await bus.count(bus.tables.outbox, bus.tables.outbox.c.relayed_at.is_(None))


async def test_a_commit_sends_its_events_itself_and_leaves_the_relay_nothing(eager: Bus) -> None:
    await _relay(eager).relay_once()  # idle: begins the producer's Redis epoch
    woken = wakeup(eager.tables.outbox.fullname)
    woken.clear()
    with statements_sent(eager.resources) as statements:
        first = await eager.publish(parcel())
        async with transaction(eager.resources.session_factory) as session:
            second, third = await publish_all(session, eager.tables, [parcel(), parcel()])
        await _sender(eager.resources).drain()

    assert await _stream_ids(eager) == [str(first), str(second), str(third)]
    assert not [s for s in statements if "pg_notify" in s], "no relay is woken to race it"
    assert not woken.is_set()
    outbox = eager.tables.outbox
    async with eager.resources.session_factory() as session:
        recorded = (await session.scalars(select(outbox.c.stream_entry_id))).all()
    epoch = await eager.resources.redis.get(
        relay_epoch_key(eager.resources.settings, eager.tables.producer)
    )
    assert epoch is not None
    assert all(where.startswith(f"{epoch.decode()}:") for where in recorded), recorded
    assert await _unrelayed(eager) == 0
    assert await _relay(eager).relay_once() == 0, "the relay finds nothing to send"
    assert len(await _stream_ids(eager)) == 3


async def test_a_rolled_back_transaction_sends_nothing(eager: Bus) -> None:
    await _relay(eager).relay_once()

    async def failing_change() -> None:
        async with transaction(eager.resources.session_factory) as session:
            await publish(session, eager.tables, parcel())
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        await failing_change()
    await _sender(eager.resources).drain()

    assert await _stream_ids(eager) == []
    assert await eager.count(eager.tables.outbox) == 0


async def test_a_rolled_back_savepoint_sends_none_of_its_events(eager: Bus) -> None:
    """A write in a savepoint (`savepoint`) that fails rolls back alone: what it
    published must not be sent with the rest."""
    await _relay(eager).relay_once()
    async with transaction(eager.resources.session_factory) as session:
        with contextlib.suppress(RuntimeError):
            async with savepoint(session):
                await publish(session, eager.tables, parcel("rolled back"))
                raise RuntimeError("this write fails")
        kept = await publish(session, eager.tables, parcel("kept"))
    await _sender(eager.resources).drain()

    assert await _stream_ids(eager) == [str(kept)]


async def test_a_failed_send_leaves_the_events_to_the_relay(eager: Bus, settings: Settings) -> None:
    await _relay(eager).relay_once()
    unreachable = dataclasses.replace(
        settings, redis_url="redis://127.0.0.1:1/0", events_send_on_commit=True
    )
    async with open_resources(unreachable) as cut_off:
        async with transaction(cut_off.session_factory) as session:
            event_id = await publish(session, eager.tables, parcel())
        await _sender(cut_off).drain()

    assert await _unrelayed(eager) == 1, "the row waits, still the record"
    assert await _relay(eager).relay_once() == 0, "left to its writer for the grace"
    assert await _relay(eager, writer_grace=timedelta(0)).relay_once() == 1, "then taken"
    assert await _stream_ids(eager) == [str(event_id)]


async def test_without_an_epoch_in_redis_the_relay_sends_them_into_a_new_one(eager: Bus) -> None:
    """Redis that lost its data lost the producer's epoch too: the rows stay the relay's,
    which begins a new epoch, so the delivery check tells them from the lost ones."""
    event_id = await eager.publish(parcel())
    await _sender(eager.resources).drain()

    assert await _unrelayed(eager) == 1
    assert await _relay(eager, writer_grace=timedelta(0)).relay_once() == 1
    assert str(event_id) in await _stream_ids(eager)


async def test_a_relay_leaves_a_row_its_writer_is_sending_alone(eager: Bus) -> None:
    """Caught between its commit and its send, a writer's row is not the relay's: a relay
    polling then would send it twice (eager.py)."""
    await _relay(eager).relay_once()
    sender = _sender(eager.resources)
    sent = asyncio.Event()
    send = sender.send

    async def slow_send(tables: EventTables, events: Sequence[CommittedEvent]) -> None:
        await _relay(eager).relay_once()  # a relay's poll, while the send has not begun
        await send(tables, events)
        sent.set()

    sender.send = slow_send  # type: ignore[method-assign]
    try:
        event_id = await eager.publish(parcel())
        async with asyncio.timeout(10):
            await sent.wait()
    finally:
        del sender.send
    await sender.drain()

    assert await _stream_ids(eager) == [str(event_id)], "sent once, by its writer"
    assert await _unrelayed(eager) == 0


async def test_the_sends_of_several_transactions_are_marked_in_one_statement(
    eager: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A window wide enough for three commits on a loaded machine.
    monkeypatch.setattr(eager_module, "MARK_WINDOW_SECONDS", 1.0)
    await _relay(eager).relay_once()
    with statements_sent(eager.resources) as statements:
        published = await asyncio.gather(*(eager.publish(parcel()) for _ in range(3)))
        await _sender(eager.resources).drain()

    assert sorted(await _stream_ids(eager)) == sorted(str(event_id) for event_id in published)
    marks = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(marks) == 1, marks
    assert await _unrelayed(eager) == 0


async def test_events_written_within_another_statement_are_sent_once_it_commits(
    eager: Bus,
) -> None:
    await _relay(eager).relay_once()
    change = eager.tables.with_events_written(
        insert(eager.effects).values(event_id=bindparam("effect_id"), note="changed")
    )
    with statements_sent(eager.resources) as statements:
        async with transaction(eager.resources.session_factory) as session:
            written = written_within(session, eager.tables, [parcel("a"), parcel("b")])
            assert written is not None
            await session.execute(change, {"effect_id": uuid.uuid4(), **written})
            in_the_transaction = list(statements)
    await _sender(eager.resources).drain()

    assert len(in_the_transaction) == 1, "the change and its events in one statement"
    assert await _stream_ids(eager) == [str(event_id) for event_id in written["ids"]]
    assert await _unrelayed(eager) == 0
    assert await eager.count(eager.effects) == 1


async def test_a_session_that_leaves_its_events_to_the_relay_writes_none_within(
    bus: Bus,
) -> None:
    async with transaction(bus.resources.session_factory) as session:
        assert written_within(session, bus.tables, [parcel()]) is None
    assert await bus.count(bus.tables.outbox) == 0
