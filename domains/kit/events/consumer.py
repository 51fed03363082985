"""Consuming other domains' events: one consumer group per consuming domain.

Each entry is handled in one transaction that first records the event id in the
domain's `processed_events` (primary key): a redelivered event finds its id there and
has no second effect, and two consumers handed the same entry serialise on that key. The
entry is acknowledged (XACK) only after the commit, so a crash in between leaves it
pending; `reclaim_once` (XAUTOCLAIM) hands entries left pending by a dead consumer to a
live one, which then finds them processed, or processes them, and acknowledges.

A handler that fails leaves its entry pending for a later retry; after `max_deliveries`
failures the entry is copied to the group's dead-letter stream and acknowledged, so one
poisoned event cannot stall the others forever.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.aio import raise_if_stopping, stop_if_cancelled
from domains.kit.db import transaction
from domains.kit.events.codec import (
    Event,
    EventDecodeError,
    decode_event,
    payload_from_json,
)
from domains.kit.events.outbox import run_commit_hooks
from domains.kit.events.streams import as_text, dead_letter_key, stream_key
from domains.kit.events.tables import EventTables
from domains.kit.resources import Resources

logger = logging.getLogger("shopgraph.events")

E = TypeVar("E", bound=Event)

BLOCK_MILLISECONDS = 1000
RECLAIM_EVERY_SECONDS = 15.0
RECLAIM_IDLE_MILLISECONDS = 30_000
MAX_DELIVERIES = 10
# How long a stopping consumer may spend finishing the entry it is handling.
FINISH_ENTRY_SECONDS = 5.0


@dataclass(frozen=True)
class EventMeta:
    event_id: uuid.UUID
    name: str
    version: int
    producer: str
    occurred_at: datetime


Handler = Callable[[AsyncSession, E, EventMeta], Awaitable[None]]


@dataclass(frozen=True)
class Subscription(Generic[E]):
    """What a domain does with one event: the class it reads it as, and the handler.

    `only`, when given, says which of these events the handler acts on; the rest are
    acknowledged as read, without a transaction or a record in `processed_events`, since
    they have no effect to keep exactly once. A checkout's order announces each status
    to every follower, and most followers care for one or two of them.
    """

    event: type[E]
    handler: Handler[E]
    only: Callable[[E], bool] | None = None


def calling(handle: Callable[[AsyncSession, E], Awaitable[object]]) -> Handler[E]:
    """A handler that hands the event to a service method, for the many reactions that
    need nothing but the session and the event."""

    async def handler(session: AsyncSession, event: E, meta: EventMeta) -> None:
        await handle(session, event)

    return handler


@dataclass(frozen=True)
class _Decoded:
    stream: str
    entry_id: str
    fields: dict[str, str]
    subscription: Subscription[Any]
    event: Any
    meta: EventMeta


@dataclass
class _Acks:
    """Entries settled and not yet acknowledged, by stream: a batch's are acknowledged
    in one round trip rather than one each."""

    by_stream: dict[str, list[str]] = field(default_factory=dict)

    def add(self, stream: str, entry_id: str) -> None:
        self.by_stream.setdefault(stream, []).append(entry_id)


class SimulatedCrash(Exception):
    """Raised by tests from `before_ack` to stop a consumer between commit and XACK."""


class Consumer:
    def __init__(
        self,
        resources: Resources,
        tables: EventTables,
        *,
        group: str,
        subscriptions: Sequence[Subscription[Any]],
        consumer_name: str | None = None,
        batch: int = 50,
        max_deliveries: int = MAX_DELIVERIES,
    ) -> None:
        self.resources = resources
        self.tables = tables
        self.group = group
        self.name = consumer_name or (
            f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        )
        self.batch = batch
        self.max_deliveries = max_deliveries
        self._by_name: dict[str, Subscription[Any]] = {}
        for subscription in subscriptions:
            if subscription.event.name in self._by_name:
                raise ValueError(f"{group}: two subscriptions to {subscription.event.name}")
            self._by_name[subscription.event.name] = subscription
        self._streams = {
            stream_key(resources.settings, name): name for name in sorted(self._by_name)
        }
        self._failures: dict[str, int] = {}
        # Test hook: awaited after the handler's commit and before the XACK.
        self.before_ack: Callable[[str], Awaitable[None]] | None = None

    @property
    def streams(self) -> list[str]:
        """The stream keys this consumer's group reads."""
        return list(self._streams)

    async def ensure_groups(self) -> None:
        for stream in self._streams:
            try:
                await self.resources.redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    async def consume_once(self, *, block_ms: int | None = None, own_pending: bool = False) -> int:
        """Read and handle one batch of new entries; how many were handled.

        With `own_pending`, the batch is instead the entries already delivered to this
        consumer and not acknowledged: after a failed round they are retried at once
        rather than after the reclaim interval.
        """
        if not self._streams:
            return 0
        redis = self.resources.redis_for_blocking if block_ms else self.resources.redis
        try:
            response = await redis.xreadgroup(
                self.group,
                self.name,
                dict.fromkeys(self._streams, "0" if own_pending else ">"),
                count=self.batch,
                block=None if own_pending else block_ms,
            )
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            await self.ensure_groups()
            return 0
        batches: list[Any] = list(response or [])
        items = [
            (as_text(stream), as_text(entry_id), fields)
            for stream, entries in batches
            for entry_id, fields in entries
        ]
        if len(items) == 1:
            await self._process_to_the_end(*items[0])
        elif items:
            await self._shielded(self._process_batch(items), items[-1][1])
        return len(items)

    async def reclaim_once(self, *, min_idle_ms: int = RECLAIM_IDLE_MILLISECONDS) -> int:
        """Take over entries other consumers (or this one, before a crash) left pending."""
        handled = 0
        for stream in self._streams:
            start = "0-0"
            while True:
                try:
                    result = await self.resources.redis.xautoclaim(
                        stream, self.group, self.name, min_idle_ms, start, count=self.batch
                    )
                except ResponseError as error:
                    if "NOGROUP" not in str(error):
                        raise
                    await self.ensure_groups()
                    break
                next_start, entries = as_text(result[0]), result[1]
                for entry_id, fields in entries:
                    if fields is None:  # trimmed from the stream meanwhile
                        continue
                    await self._process_to_the_end(stream, as_text(entry_id), fields)
                    handled += 1
                if next_start == "0-0":
                    break
                start = next_start
        return handled

    async def _process_to_the_end(self, stream: str, entry_id: str, raw: Mapping[Any, Any]) -> None:
        """Process one entry; a cancellation (shutdown) waits for the entry in hand to be
        committed and acknowledged, up to FINISH_ENTRY_SECONDS, and then stops the consumer.

        Without this, a stop landing between the commit and the XACK leaves the entry
        pending until another consumer reclaims it (harmless, the event id dedups it, but
        late). Entries of the batch not begun stay pending for the same reclaim.
        """
        await self._shielded(self._process(stream, entry_id, raw), entry_id)

    async def _shielded(self, work: Awaitable[None], entry_id: str) -> None:
        task = asyncio.ensure_future(work)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                await asyncio.wait([task], timeout=FINISH_ENTRY_SECONDS)
                if not task.done():
                    task.cancel()
                elif not task.cancelled() and task.exception() is not None:
                    logger.error("%s: entry %s failed while stopping", self.group, entry_id)
            raise

    async def _process_batch(self, items: Sequence[tuple[str, str, Mapping[Any, Any]]]) -> None:
        """Handle a batch of entries in one transaction, and acknowledge them together.

        One commit for the batch instead of one per event: under a burst (a flash sale)
        the commits are what the saga waits on. Each event still has its effect exactly
        once (the batch's ids are recorded in the same transaction, in one statement,
        and an event already recorded is skipped). No savepoint guards each
        event: a savepoint and its release are two statements per event on every batch,
        for the rare batch where a handler fails. That batch is rolled back whole and
        its entries are handled again one transaction each, so the failing one fails
        alone, counts a failed delivery and stays pending, and the others take effect.
        """
        acks = _Acks()
        ready: list[_Decoded] = []
        for stream, entry_id, raw in items:
            decoded = await self._decode(stream, entry_id, raw, acks)
            if decoded is not None:
                ready.append(decoded)
        if not ready:
            await self._ack_all(acks)
            return
        # The entries settled above (not ours) are acknowledged with the batch's, after
        # its commit: one round trip for all.
        try:
            async with transaction(self.resources.session_factory) as session:
                first_time = await self._record_all(session, [item.meta for item in ready])
                for item in ready:
                    if item.meta.event_id in first_time:
                        # Once, should a batch hold an event twice (sent twice).
                        first_time.discard(item.meta.event_id)
                        await item.subscription.handler(session, item.event, item.meta)
        except Exception as error:
            raise_if_stopping(error)
            if _outage(error):
                raise
            # A handler or the commit failed: each entry alone, so that one cannot hold
            # the others back.
            await self._ack_all(acks)
            for item in ready:
                await self._handle(item)
            return
        await run_commit_hooks(session)
        for item in ready:
            await self._acknowledge(item, acks)
        await self._ack_all(acks)

    async def _process(self, stream: str, entry_id: str, raw: Mapping[Any, Any]) -> None:
        acks = _Acks()
        decoded = await self._decode(stream, entry_id, raw, acks)
        await self._ack_all(acks)
        if decoded is not None:
            await self._handle(decoded)

    async def _decode(
        self, stream: str, entry_id: str, raw: Mapping[Any, Any], acks: _Acks
    ) -> _Decoded | None:
        """The entry as its subscription reads it; None when it was settled here (left
        in `acks` as not ours, or dead-lettered as undecodable)."""
        fields = {as_text(key): as_text(value) for key, value in raw.items()}
        name = fields.get("name", "")
        subscription = self._by_name.get(name)
        if subscription is None:
            acks.add(stream, entry_id)
            return None
        try:
            meta = EventMeta(
                event_id=uuid.UUID(fields["id"]),
                name=name,
                version=int(fields["version"]),
                producer=fields.get("producer", ""),
                occurred_at=datetime.fromisoformat(fields["occurred_at"]),
            )
            if meta.version != subscription.event.version:
                raise EventDecodeError(
                    f"{name} version {meta.version}; this consumer reads version "
                    f"{subscription.event.version}"
                )
            event = decode_event(subscription.event, payload_from_json(fields["payload"]))
        except (KeyError, ValueError) as error:
            await self._dead_letter(stream, entry_id, fields, f"undecodable: {error}")
            return None
        if subscription.only is not None and not subscription.only(event):
            acks.add(stream, entry_id)
            return None
        return _Decoded(stream, entry_id, fields, subscription, event, meta)

    async def _handle(self, item: _Decoded) -> None:
        try:
            async with transaction(self.resources.session_factory) as session:
                first_time = await self._record(session, item.meta)
                if first_time:
                    await item.subscription.handler(session, item.event, item.meta)
            if first_time:
                await run_commit_hooks(session)
        except Exception as error:
            raise_if_stopping(error)
            if _outage(error):
                # Not the event's fault, so not one of its deliveries: the round fails and
                # `run` retries this consumer's pending entries a second later, instead of
                # leaving them to the reclaim (half a minute) or dead-lettering them after
                # an outage of a few seconds.
                raise
            await self._failed(item, error)
            return
        acks = _Acks()
        await self._acknowledge(item, acks)
        await self._ack_all(acks)

    async def _failed(self, item: _Decoded, error: Exception) -> None:
        failures = self._failures.get(item.entry_id, 0) + 1
        self._failures[item.entry_id] = failures
        logger.error(
            "%s: handling %s %s failed (attempt %d)",
            self.group,
            item.meta.name,
            item.meta.event_id,
            failures,
            exc_info=error,
        )
        if failures >= self.max_deliveries:
            await self._dead_letter(item.stream, item.entry_id, item.fields, repr(error))

    async def _acknowledge(self, item: _Decoded, acks: _Acks) -> None:
        self._failures.pop(item.entry_id, None)
        if self.before_ack is not None:
            await self.before_ack(item.entry_id)
        acks.add(item.stream, item.entry_id)

    async def _ack_all(self, acks: _Acks) -> None:
        """One XACK per stream for every entry settled, in one round trip."""
        if not acks.by_stream:
            return
        if len(acks.by_stream) == 1:
            ((stream, entry_ids),) = acks.by_stream.items()
            await self.resources.redis.xack(stream, self.group, *entry_ids)
        else:
            async with self.resources.redis.pipeline(transaction=False) as pipeline:
                for stream, entry_ids in acks.by_stream.items():
                    pipeline.xack(stream, self.group, *entry_ids)
                await pipeline.execute()
        acks.by_stream.clear()

    async def _record(self, session: AsyncSession, meta: EventMeta) -> bool:
        inserted = await session.execute(
            self.tables.record_processed, {"event_id": meta.event_id, "name": meta.name}
        )
        return inserted.first() is not None

    async def _record_all(
        self, session: AsyncSession, metas: Sequence[EventMeta]
    ) -> set[uuid.UUID]:
        """Record a batch's events as processed, in one statement; the ids recorded now
        (those processed before are left out)."""
        inserted = await session.execute(
            self.tables.record_all_processed,
            self.tables.processed_rows.parameters(
                [{"event_id": meta.event_id, "name": meta.name} for meta in metas]
            ),
        )
        return set(inserted.scalars())

    async def _ack(self, stream: str, entry_id: str) -> None:
        await self.resources.redis.xack(stream, self.group, entry_id)

    async def _dead_letter(
        self, stream: str, entry_id: str, fields: Mapping[str, str], reason: str
    ) -> None:
        logger.error(
            "%s: %s %s moved to the dead-letter stream: %s", self.group, stream, entry_id, reason
        )
        entry: dict[Any, Any] = dict(fields)
        entry.update(stream=stream, entry_id=entry_id, reason=reason[:500])
        await self.resources.redis.xadd(dead_letter_key(self.resources.settings, self.group), entry)
        await self._ack(stream, entry_id)
        self._failures.pop(entry_id, None)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_reclaim = 0.0
        recovering = False
        while True:
            stop_if_cancelled()
            try:
                if loop.time() >= next_reclaim:
                    await self.ensure_groups()
                    await self.reclaim_once()
                    next_reclaim = loop.time() + RECLAIM_EVERY_SECONDS
                if recovering:
                    await self.consume_once(own_pending=True)
                    recovering = False
                await self.consume_once(block_ms=BLOCK_MILLISECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis or Postgres away: retry, do not die
                raise_if_stopping(error)
                logger.exception("%s: event consumer round failed", self.group)
                recovering = True
                await asyncio.sleep(1.0)


def _outage(error: BaseException) -> bool:
    """Postgres or Redis unreachable, restarting or gone mid-statement."""
    if isinstance(error, OSError | RedisConnectionError | RedisTimeoutError):
        return True
    if isinstance(error, DBAPIError):
        # SQLSTATE class 08 (connection exception) and 57P (shutting down, starting up).
        state = str(getattr(error.orig, "sqlstate", None) or "")
        return (
            error.connection_invalidated
            or isinstance(error, OperationalError | InterfaceError)
            or state.startswith(("08", "57P"))
        )
    return False
