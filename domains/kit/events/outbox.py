"""Writing events in the caller's transaction, and work to run once it has committed."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from domains.kit.events.codec import Event, encode_event
from domains.kit.events.tables import EventTables

_COMMIT_HOOKS = "shopgraph.events.after_commit"
_PUBLISHED = "shopgraph.events.published"

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
        # SQLAlchemy reports a savepoint's release as a commit too (a consumer's batch
        # runs each event in one): nothing is visible to others yet, so no relay is to
        # be woken and the transaction's NOTIFY is still to come at most once.
        return
    session.info.pop(_NOTIFIED, None)
    for name in session.info.pop(_PUBLISHED, ()):
        if name in _wakeups:
            _wakeups[name].set()


def _after_rollback(session: Session) -> None:
    session.info.pop(_NOTIFIED, None)
    session.info.pop(_PUBLISHED, None)


CommitHook = Callable[[], Awaitable[None]]


def _note_published(session: AsyncSession, tables: EventTables) -> None:
    published: set[str] = session.info.setdefault(_PUBLISHED, set())
    if not published and not sa_event.contains(session.sync_session, "after_commit", _after_commit):
        sa_event.listen(session.sync_session, "after_commit", _after_commit)
        sa_event.listen(session.sync_session, "after_rollback", _after_rollback)
    published.add(tables.outbox.fullname)


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
    happened. The relay sends it after the commit.
    """
    event_id = uuid.uuid4()
    _note_published(session, tables)
    values = {
        "id": event_id,
        "name": event.name,
        "version": event.version,
        "payload": encode_event(event),
        "occurred_at": datetime.now(UTC),
    }
    if _first_notification(session, tables):
        await session.execute(tables.write_event_and_notify, values)
    else:
        await session.execute(tables.write_event, values)
    return event_id


async def publish_all(
    session: AsyncSession, tables: EventTables, events: Sequence[Event]
) -> list[uuid.UUID]:
    """`publish` each of `events`, in their order, in one statement: what a transaction
    announces at once (stock held and the level it left) costs one round trip."""
    if len(events) <= 1:
        return [await publish(session, tables, event) for event in events]
    ids = [uuid.uuid4() for _ in events]
    _note_published(session, tables)
    now = datetime.now(UTC)
    values = {
        "ids": ids,
        "names": [event.name for event in events],
        "versions": [event.version for event in events],
        "payloads": [json.dumps(encode_event(event)) for event in events],
        "occurred_ats": [now] * len(events),
    }
    if _first_notification(session, tables):
        await session.execute(tables.write_events_and_notify, values)
    else:
        await session.execute(tables.write_events, values)
    return ids


def on_commit(session: AsyncSession, hook: CommitHook) -> None:
    """Run `hook` after the session's transaction commits (a notification, a cache delete)."""
    hooks: list[CommitHook] = session.info.setdefault(_COMMIT_HOOKS, [])
    hooks.append(hook)


async def run_commit_hooks(session: AsyncSession) -> None:
    hooks: list[CommitHook] = session.info.pop(_COMMIT_HOOKS, [])
    for hook in hooks:
        await hook()


def commit_work(session: AsyncSession) -> tuple[list[CommitHook], set[str]]:
    """What the session will do at commit (hooks, notifications still to send), as it is
    now: taken before a savepoint, so that a rolled-back savepoint can leave no hook
    behind and give back the notification it had sent."""
    return list(session.info.get(_COMMIT_HOOKS, [])), set(session.info.get(_NOTIFIED, set()))


def restore_commit_work(session: AsyncSession, saved: tuple[list[CommitHook], set[str]]) -> None:
    hooks, notified = saved
    session.info[_COMMIT_HOOKS] = list(hooks)
    session.info[_NOTIFIED] = set(notified)
