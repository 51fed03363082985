"""The relay: committed outbox rows to Redis Streams, and again when Redis loses them.

Several relays of one domain may run at once (one per process): each claims a batch with
`FOR UPDATE SKIP LOCKED`, adds it to the streams, and marks it relayed in the same
transaction. A crash between the XADD and the commit sends the batch again on the next
round; consumers drop the duplicate by event id, so at least once is enough here.

The outbox is the record and the streams are only a transport. Redis can lose entries:
restarted without persistence, or failed over to a replica that lagged. So:

- A relayed row keeps where it went: the Redis *epoch* it was added in and its entry
  id. The epoch is a random token in a Redis key that every relay of the domain reads
  each round and the first one to find it missing creates: a Redis that lost its data
  lost that key too, so its new epoch differs from the one on every row relayed before.
- A relayed row stays *undelivered* until every consumer group of its stream is known
  to have passed its entry (XINFO GROUPS and XPENDING, every DELIVERY_CHECK_SECONDS).
- Undelivered rows of an older epoch are published again, as are the undelivered rows
  of a stream that Redis answers for with a last entry older than the newest the outbox
  recorded (a replica that lagged), or not at all.

Consumers drop duplicates by event id, so publishing again what a group had in fact
handled costs a lookup and nothing else. Production Redis needs no persistence for
this; persistence only saves the republishing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from redis.exceptions import ResponseError
from sqlalchemy import (
    BigInteger,
    and_,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.aio import raise_if_stopping, stop_if_cancelled
from domains.kit.db import transaction
from domains.kit.events.outbox import notify_channel, wakeup
from domains.kit.events.streams import (
    add_to_streams,
    as_text,
    entry_location,
    relay_epoch_key,
    stream_key,
)
from domains.kit.events.tables import SENT_BY_WRITER, EventTables
from domains.kit.resources import Resources

logger = logging.getLogger("shopgraph.events")

# Commits wake the relay at once, in this process through an asyncio event and in any
# other through Postgres NOTIFY; the poll only bounds the delay should a wake-up be lost
# (the LISTEN connection down, PgBouncer's transaction pooling).
IDLE_POLL_INTERVAL_SECONDS = 0.5
LISTEN_CHECK_SECONDS = 10.0
LISTEN_RETRY_SECONDS = 5.0
HELPER_STOP_SECONDS = 2.0
# How long a row whose writing process sends it itself (eager.py) is left to that process
# before the relay takes it as missed: far above a send's milliseconds, even in a rush.
WRITER_SEND_GRACE = timedelta(seconds=5)
RELAYED_RETENTION = timedelta(days=7)
# How often the relay learns what consumer groups have passed, and checks that Redis
# still holds what it was given.
DELIVERY_CHECK_SECONDS = 2.0

EntryId = tuple[int, int]


def parse_entry_id(raw: str | bytes) -> EntryId:
    text = raw.decode() if isinstance(raw, bytes) else raw
    milliseconds, _, sequence = text.partition("-")
    return int(milliseconds), int(sequence or 0)


def _split(recorded: str) -> tuple[str, EntryId]:
    epoch, _, entry_id = recorded.partition(":")
    return epoch, parse_entry_id(entry_id)


class Relay:
    def __init__(
        self,
        resources: Resources,
        tables: EventTables,
        *,
        producer: str,
        batch: int = 200,
        writer_grace: timedelta = WRITER_SEND_GRACE,
    ) -> None:
        self.resources = resources
        self.tables = tables
        self.producer = producer
        self.batch = batch
        outbox = tables.outbox
        # Built once: the relay runs these for every round of new events. A row its
        # writer sends (eager.py) is left to it for `writer_grace`: claimed while the
        # writer is still sending, it went out twice, and a flash sale's duplicates cost
        # every consumer a second transaction.
        self._claim = (
            select(
                outbox.c.id, outbox.c.name, outbox.c.version, outbox.c.payload, outbox.c.occurred_at
            )
            .where(
                outbox.c.relayed_at.is_(None),
                or_(
                    outbox.c.stream_entry_id.is_distinct_from(SENT_BY_WRITER),
                    outbox.c.occurred_at < func.now() - writer_grace,
                ),
            )
            .order_by(outbox.c.position)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )

    async def current_epoch(self) -> tuple[str, bool]:
        """The epoch of the Redis the streams are in now, and whether this call began it."""
        redis = self.resources.redis
        key = relay_epoch_key(self.resources.settings, self.producer)
        epoch = await redis.get(key)
        if epoch is not None:
            return as_text(epoch), False
        candidate = secrets.token_hex(6)
        if await redis.set(key, candidate, nx=True):
            return candidate, True
        epoch = await redis.get(key)
        return (as_text(epoch) if epoch is not None else candidate), False

    async def relay_once(self) -> int:
        """Relay one batch of committed events; how many were sent. Whoever finds Redis
        in a new epoch then publishes the rows it lost again."""
        async with transaction(self.resources.session_factory) as session:
            rows = (await session.execute(self._claim)).all()
            read_epoch, entry_ids = await self._add(rows) if rows else (None, [])
            if read_epoch is None:
                # Idle, or Redis lost the epoch (and the streams with it): the entries
                # just added are in the new one, begun here unless another relay did.
                epoch, began = await self.current_epoch()
            else:
                epoch, began = read_epoch, False
            if rows:
                await self._record(session, rows, epoch, entry_ids)
        if began:
            await self.republish_lost(epoch)
        return len(rows)

    async def _add(self, rows: Sequence[Any]) -> tuple[str | None, list[str]]:
        return await add_to_streams(
            self.resources.redis, self.resources.settings, self.producer, rows
        )

    async def _record(
        self, session: AsyncSession, rows: Sequence[Any], epoch: str, entry_ids: Sequence[str]
    ) -> None:
        await session.execute(
            self.tables.mark_relayed,
            [
                {"row_id": row.id, "went_to": entry_location(epoch, entry_id)}
                for row, entry_id in zip(rows, entry_ids, strict=True)
            ],
        )

    async def republish_lost(self, epoch: str, names: Sequence[str] | None = None) -> int:
        """Publish again the undelivered rows Redis no longer holds: those added in an
        older epoch, and with `names` every undelivered row of those events."""
        outbox = self.tables.outbox
        lost = or_(
            outbox.c.stream_entry_id.is_(None),
            ~outbox.c.stream_entry_id.startswith(f"{epoch}:", autoescape=True),
        )
        if names is not None:
            lost = or_(lost, outbox.c.name.in_(sorted(set(names))))
        after = 0
        sent = 0
        while True:
            async with transaction(self.resources.session_factory) as session:
                rows = (
                    await session.execute(
                        select(
                            outbox.c.id,
                            outbox.c.position,
                            outbox.c.name,
                            outbox.c.version,
                            outbox.c.payload,
                            outbox.c.occurred_at,
                        )
                        .where(
                            outbox.c.relayed_at.is_not(None),
                            outbox.c.delivered_at.is_(None),
                            outbox.c.position > after,
                            lost,
                        )
                        .order_by(outbox.c.position)
                        .limit(self.batch)
                        .with_for_update(skip_locked=True)
                    )
                ).all()
                if not rows:
                    break
                # Recorded in the epoch being republished into: should Redis have lost
                # it again meanwhile, the next round begins another and finds these rows
                # lost too.
                _, entry_ids = await self._add(rows)
                await self._record(session, rows, epoch, entry_ids)
            after = rows[-1].position
            sent += len(rows)
        if sent:
            logger.warning(
                "%s: Redis had lost %d relayed, undelivered events; published them again",
                self.producer,
                sent,
            )
        return sent

    async def check_delivery(self) -> int:
        """Mark rows every consumer group has passed as delivered, and publish again
        what Redis has lost. How many rows were marked delivered.

        A few statements whatever the backlog: the newest undelivered entry of each
        event in this epoch, then one UPDATE per event comparing entry ids in SQL."""
        epoch, _ = await self.current_epoch()
        outbox = self.tables.outbox
        undelivered = and_(outbox.c.relayed_at.is_not(None), outbox.c.delivered_at.is_(None))
        in_epoch = outbox.c.stream_entry_id.startswith(f"{epoch}:", autoescape=True)
        async with self.resources.session_factory() as session:
            stale_epoch = bool(
                await session.scalar(
                    select(
                        exists().where(
                            undelivered,
                            or_(outbox.c.stream_entry_id.is_(None), ~in_epoch),
                        )
                    )
                )
            )
            newest = (
                await session.execute(
                    select(outbox.c.name, outbox.c.stream_entry_id)
                    .where(undelivered, in_epoch)
                    .ext(distinct_on(outbox.c.name))
                    .order_by(outbox.c.name, outbox.c.position.desc())
                )
            ).all()
        entry = func.split_part(outbox.c.stream_entry_id, ":", 2)
        milliseconds = cast(func.split_part(entry, "-", 1), BigInteger)
        sequence = cast(func.split_part(entry, "-", 2), BigInteger)
        marked = 0
        lost_streams: list[str] = []
        for name, recorded in newest:
            stream = stream_key(self.resources.settings, name)
            passed_below = await self._passed_below(stream, _split(recorded)[1])
            if passed_below is None:
                lost_streams.append(name)
                continue
            if passed_below == (0, 0):
                continue
            async with transaction(self.resources.session_factory) as session:
                result = await session.execute(
                    update(outbox)
                    .where(
                        outbox.c.name == name,
                        undelivered,
                        in_epoch,
                        tuple_(milliseconds, sequence) < tuple_(*passed_below),
                    )
                    .values(delivered_at=func.now())
                )
                marked += int(result.rowcount)  # type: ignore[attr-defined]
        if stale_epoch or lost_streams:
            await self.republish_lost(epoch, lost_streams)
        return marked

    async def _passed_below(self, stream: str, newest_recorded: EntryId) -> EntryId | None:
        """The entry id below which every consumer group of `stream` has passed; None
        when Redis no longer holds what the outbox says was added to the stream."""
        redis = self.resources.redis
        try:
            info = await redis.xinfo_stream(stream)
        except ResponseError as error:
            if "no such key" in str(error).lower():
                return None
            raise
        if parse_entry_id(info["last-generated-id"]) < newest_recorded:
            return None
        groups = await redis.xinfo_groups(stream)
        if not groups:
            return (0, 0)  # nobody has read anything yet: nothing is delivered
        bounds: list[EntryId] = []
        for group in groups:
            last = parse_entry_id(group["last-delivered-id"])
            bound = (last[0], last[1] + 1)
            if int(group["pending"]):
                summary = await redis.xpending(stream, group["name"])
                if summary["min"] is not None:  # None: acknowledged since XINFO GROUPS
                    bound = min(bound, parse_entry_id(summary["min"]))
            bounds.append(bound)
        return min(bounds)

    async def prune(self, *, older_than: timedelta = RELAYED_RETENTION) -> None:
        """Drop rows relayed longer ago than the retention, delivered or not: a group that
        has not read for that long is a consumer gone, not one to wait for."""
        outbox = self.tables.outbox
        async with transaction(self.resources.session_factory) as session:
            await session.execute(
                delete(outbox).where(outbox.c.relayed_at < datetime.now(UTC) - older_than)
            )

    async def listen(self, wake: asyncio.Event) -> None:
        """Wake the relay when any process commits outbox rows (their transaction
        NOTIFYs the outbox's channel; outbox.py). Behind PgBouncer's transaction pooling a
        session cannot LISTEN, and the poll alone bounds the delay."""
        settings = self.resources.settings
        if settings.database_url is None or settings.database_pgbouncer:
            return
        channel = notify_channel(self.tables)
        while True:
            try:
                connection = await asyncpg.connect(settings.database_url)
            except Exception as error:
                raise_if_stopping(error)
                logger.warning("%s: cannot LISTEN (%s); polling meanwhile", self.producer, error)
                await asyncio.sleep(LISTEN_RETRY_SECONDS)
                continue
            try:
                await connection.add_listener(channel, lambda *_: wake.set())
                wake.set()  # whatever was committed while nobody listened
                while True:  # a dead connection shows itself here, then it is replaced
                    await asyncio.sleep(LISTEN_CHECK_SECONDS)
                    await connection.execute("SELECT 1")
            except Exception as error:
                raise_if_stopping(error)
                logger.warning("%s: LISTEN connection lost (%s)", self.producer, error)
            finally:
                with contextlib.suppress(Exception):
                    await connection.close(timeout=2)

    async def run(self, *, idle_poll_seconds: float = IDLE_POLL_INTERVAL_SECONDS) -> None:
        wake = wakeup(self.tables.outbox.fullname)
        stopping = asyncio.Event()
        helpers = [
            asyncio.create_task(self.listen(wake), name=f"{self.producer}_outbox_listen"),
            asyncio.create_task(
                self._check_until(stopping), name=f"{self.producer}_delivery_check"
            ),
        ]
        try:
            await self._relay_forever(wake, idle_poll_seconds)
        finally:
            stopping.set()
            for helper in helpers:
                helper.cancel()
            # Bounded: a helper caught in a library's own clean-up must not hold the
            # relay's shutdown (stop_tasks in domains/kit/app.py says why).
            await asyncio.wait(helpers, timeout=HELPER_STOP_SECONDS)

    async def _check_until(self, stopping: asyncio.Event) -> None:
        """The delivery check in a loop of its own: however long it takes, relaying does
        not wait for it. It ends when the relay stops, even should a library it awaits
        have swallowed the cancellation."""
        while not stopping.is_set():
            try:
                await self.check_delivery()
            except Exception as error:
                raise_if_stopping(error)
                if stopping.is_set():
                    return
                logger.exception("%s: delivery check failed", self.producer)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DELIVERY_CHECK_SECONDS):
                    await stopping.wait()

    async def _relay_forever(self, wake: asyncio.Event, idle_poll_seconds: float) -> None:
        rounds = 0
        while True:
            stop_if_cancelled()
            wake.clear()
            sent = 0
            try:
                sent = await self.relay_once()
                rounds += 1
                if rounds % 10_000 == 0:
                    await self.prune()
            except Exception as error:  # a database or Redis hiccup must not end the relay
                raise_if_stopping(error)
                logger.exception("%s: outbox relay round failed", self.producer)
                await asyncio.sleep(1.0)
            if sent < self.batch:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(idle_poll_seconds):
                        await wake.wait()
