"""Writing events in the caller's transaction, and work to run once it has committed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from domains.kit.events.codec import Event, encode_event, payload_json
from domains.kit.events.tables import EventTables

_COMMIT_HOOKS = "shopgraph.events.after_commit"
_PUBLISHED = "shopgraph.events.published"
# The session factory's info under this key, when set, sends each transaction's events
# itself once it commits (eager.py); the events waiting for that commit, by outbox.
EAGER_SENDER = "shopgraph.events.eager_sender"
_TO_SEND = "shopgraph.events.to_send"


@dataclass(frozen=True)
class CommittedEvent:
    """An event as written to the outbox, for sending once its transaction commits."""

    id: uuid.UUID
    name: str
    version: int
    payload: dict[str, Any]
    occurred_at: datetime


class EventSender(Protocol):
    def send_soon(self, tables: EventTables, events: Sequence[CommittedEvent]) -> None: ...


_ToSend = dict[str, tuple[EventTables, list[CommittedEvent]]]

# One wake-up per outbox table in this process: a commit that wrote events wakes that
# domain's relay at once instead of at its next poll. Relays of other processes (other
# workers of `serve --workers`, other replicas) are woken through Postgres: the
# transaction that writes events also NOTIFYs the outbox's channel, which Postgres
# delivers only once it commits, and each relay LISTENs (relay.py).
_wakeups: dict[str, asyncio.Event] = {}
_NOTIFIED = "shopgraph.events.notified"


def wakeup(outbox_name: str) -> asyncio.Event:
    return _wakeups.setdefault(outbox_name, asyncio.Event())


def notify_channel(tables: EventTables) -> str:
    """The Postgres channel a commit of new outbox rows is announced on."""
    return tables.notify_channel


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy reports a savepoint's release as a commit too: nothing is visible
        # to others yet, so no relay is to
        # be woken and the transaction's NOTIFY is still to come at most once.
        return
    session.info.pop(_NOTIFIED, None)
    for name in session.info.pop(_PUBLISHED, ()):
        if name in _wakeups:
            _wakeups[name].set()
    to_send: _ToSend = session.info.pop(_TO_SEND, {})
    if to_send:
        sender: EventSender = session.info[EAGER_SENDER]
        for tables, events in to_send.values():
            sender.send_soon(tables, events)


def _after_rollback(session: Session) -> None:
    session.info.pop(_NOTIFIED, None)
    session.info.pop(_PUBLISHED, None)
    session.info.pop(_TO_SEND, None)


CommitHook = Callable[[], Awaitable[None]]


def _follow_commit(session: AsyncSession) -> None:
    if not sa_event.contains(session.sync_session, "after_commit", _after_commit):
        sa_event.listen(session.sync_session, "after_commit", _after_commit)
        sa_event.listen(session.sync_session, "after_rollback", _after_rollback)


def _note_published(session: AsyncSession, tables: EventTables) -> None:
    published: set[str] = session.info.setdefault(_PUBLISHED, set())
    if not published:
        _follow_commit(session)
    published.add(tables.outbox.fullname)


def _sent_eagerly(session: AsyncSession, tables: EventTables, events: list[CommittedEvent]) -> bool:
    """Whether the session's process sends `events` itself once the transaction
    commits (eager.py): then the transaction wakes no relay, local or by NOTIFY."""
    if EAGER_SENDER not in session.info:
        return False
    to_send: _ToSend = session.info.setdefault(_TO_SEND, {})
    if not to_send:
        _follow_commit(session)
    to_send.setdefault(tables.outbox.fullname, (tables, []))[1].extend(events)
    return True


def _first_notification(session: AsyncSession, tables: EventTables) -> bool:
    """Whether the transaction has not NOTIFYed this outbox's relays yet (and now will).

    Once per transaction and outbox: Postgres holds the notification until the commit
    (and drops it on a rollback), so a relay is never woken for rows it cannot see. The
    first event of a transaction NOTIFYs in the statement that writes it, which saves
    the round trip of a statement of its own."""
    notified: set[str] = session.info.setdefault(_NOTIFIED, set())
    channel = notify_channel(tables)
    if channel in notified:
        return False
    notified.add(channel)
    return True


async def publish(session: AsyncSession, tables: EventTables, event: Event) -> uuid.UUID:
    """Write `event` to the domain's outbox in the session's transaction; return its id.

    Nothing leaves the process here: if the transaction rolls back, the event never
    happened. After the commit it is sent by this process (eager.py) where its
    sessions can, and by the relay otherwise or should that fail.
    """
    committed = CommittedEvent(
        uuid.uuid4(), event.name, event.version, encode_event(event), datetime.now(UTC)
    )
    values = {
        "id": committed.id,
        "name": committed.name,
        "version": committed.version,
        "payload": committed.payload,
        "occurred_at": committed.occurred_at,
    }
    if _sent_eagerly(session, tables, [committed]):
        await session.execute(tables.write_event_to_send, values)
        return committed.id
    _note_published(session, tables)
    if _first_notification(session, tables):
        await session.execute(tables.write_event_and_notify, values)
    else:
        await session.execute(tables.write_event, values)
    return committed.id


async def publish_all(
    session: AsyncSession, tables: EventTables, events: Sequence[Event]
) -> list[uuid.UUID]:
    """`publish` each of `events`, in their order, in one statement: what a transaction
    announces at once (stock held and the level it left) costs one round trip."""
    if len(events) <= 1:
        return [await publish(session, tables, event) for event in events]
    now = datetime.now(UTC)
    committed = [
        CommittedEvent(uuid.uuid4(), event.name, event.version, encode_event(event), now)
        for event in events
    ]
    ids = [event.id for event in committed]
    values = _as_arrays(committed)
    if _sent_eagerly(session, tables, committed):
        await session.execute(tables.write_events_to_send, values)
        return ids
    _note_published(session, tables)
    if _first_notification(session, tables):
        await session.execute(tables.write_events_and_notify, values)
    else:
        await session.execute(tables.write_events, values)
    return ids


def written_within(
    session: AsyncSession, tables: EventTables, events: Sequence[Event]
) -> dict[str, Any] | None:
    """The parameters that write `events` (in their order) within another statement,
    one built with `tables.with_events_written(statement)`: a state change and its
    announcement in one round trip. None when the session's process does not send its
    events itself (then `publish_all` them apart, which NOTIFYs the relays).

    The events are the transaction's from here on, as `publish_all` makes them: the
    caller then runs that statement in the same transaction, and only a statement that
    writes its change unconditionally may carry them (they are written whatever its
    other parts do)."""
    if EAGER_SENDER not in session.info:
        return None
    now = datetime.now(UTC)
    committed = [
        CommittedEvent(uuid.uuid4(), event.name, event.version, encode_event(event), now)
        for event in events
    ]
    _sent_eagerly(session, tables, committed)
    return _as_arrays(committed)


def _as_arrays(committed: Sequence[CommittedEvent]) -> dict[str, Any]:
    """The parameters of `tables.write_events` for these rows."""
    return {
        "ids": [event.id for event in committed],
        "names": [event.name for event in committed],
        "versions": [event.version for event in committed],
        "payloads": [payload_json(event.payload) for event in committed],
        "occurred_ats": [event.occurred_at for event in committed],
    }


def on_commit(session: AsyncSession, hook: CommitHook) -> None:
    """Run `hook` after the session's transaction commits (a notification, a cache delete)."""
    hooks: list[CommitHook] = session.info.setdefault(_COMMIT_HOOKS, [])
    hooks.append(hook)


async def run_commit_hooks(session: AsyncSession) -> None:
    hooks: list[CommitHook] = session.info.pop(_COMMIT_HOOKS, [])
    for hook in hooks:
        await hook()


@dataclass(frozen=True)
class CommitWork:
    hooks: list[CommitHook]
    notified: set[str]
    to_send: _ToSend


def commit_work(session: AsyncSession) -> CommitWork:
    """What the session will do at commit (hooks, notifications and events still to
    send), as it is now: taken before a savepoint, so that a rolled-back savepoint can
    leave no hook behind, send none of its events, and give back the notification it
    had sent."""
    to_send: _ToSend = session.info.get(_TO_SEND, {})
    return CommitWork(
        hooks=list(session.info.get(_COMMIT_HOOKS, [])),
        notified=set(session.info.get(_NOTIFIED, set())),
        to_send={name: (tables, list(events)) for name, (tables, events) in to_send.items()},
    )


def restore_commit_work(session: AsyncSession, saved: CommitWork) -> None:
    session.info[_COMMIT_HOOKS] = list(saved.hooks)
    session.info[_NOTIFIED] = set(saved.notified)
    session.info[_TO_SEND] = {
        name: (tables, list(events)) for name, (tables, events) in saved.to_send.items()
    }


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[None]:
    """`session.begin_nested()` that, when it rolls back, also takes back the events,
    notifications and commit hooks written inside it: the rows are gone, so nothing may
    be sent or run for them once the transaction commits."""
    saved = commit_work(session)
    try:
        async with session.begin_nested():
            yield
    except BaseException:
        restore_commit_work(session, saved)
        raise
