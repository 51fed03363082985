"""The relay: committed outbox rows to Redis Streams.

Several relays of one domain may run at once (one per process): each claims a batch with
`FOR UPDATE SKIP LOCKED`, adds it to the streams, and marks it relayed in the same
transaction. A crash between the XADD and the commit sends the batch again on the next
round; consumers drop the duplicate by event id, so at least once is enough here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from domains.kit.aio import raise_if_stopping
from domains.kit.db import transaction
from domains.kit.events.outbox import wakeup
from domains.kit.events.streams import STREAM_MAX_LENGTH, stream_key
from domains.kit.events.tables import EventTables
from domains.kit.resources import Resources

logger = logging.getLogger("shopgraph.events")

# Commits in this process wake the relay at once; this bounds the delay for the rest
# (events written by another replica of the same domain).
IDLE_POLL_INTERVAL_SECONDS = 0.5
RELAYED_RETENTION = timedelta(days=7)


class Relay:
    def __init__(
        self, resources: Resources, tables: EventTables, *, producer: str, batch: int = 200
    ) -> None:
        self.resources = resources
        self.tables = tables
        self.producer = producer
        self.batch = batch

    async def relay_once(self) -> int:
        """Relay one batch of committed events; how many were sent."""
        outbox = self.tables.outbox
        settings = self.resources.settings
        async with transaction(self.resources.session_factory) as session:
            rows = (
                await session.execute(
                    select(
                        outbox.c.id,
                        outbox.c.name,
                        outbox.c.version,
                        outbox.c.payload,
                        outbox.c.occurred_at,
                    )
                    .where(outbox.c.relayed_at.is_(None))
                    .order_by(outbox.c.position)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            pipe = self.resources.redis.pipeline(transaction=False)
            for row in rows:
                pipe.xadd(
                    stream_key(settings, row.name),
                    {
                        "id": str(row.id),
                        "name": row.name,
                        "version": str(row.version),
                        "producer": self.producer,
                        "occurred_at": row.occurred_at.isoformat(),
                        "payload": json.dumps(row.payload, separators=(",", ":")),
                    },
                    maxlen=STREAM_MAX_LENGTH,
                    approximate=True,
                )
            await pipe.execute()
            await session.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(relayed_at=datetime.now(UTC))
            )
        return len(rows)

    async def prune(self, *, older_than: timedelta = RELAYED_RETENTION) -> None:
        outbox = self.tables.outbox
        async with transaction(self.resources.session_factory) as session:
            await session.execute(
                delete(outbox).where(outbox.c.relayed_at < datetime.now(UTC) - older_than)
            )

    async def run(self) -> None:
        wake = wakeup(self.tables.outbox.fullname)
        rounds = 0
        while True:
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
                    async with asyncio.timeout(IDLE_POLL_INTERVAL_SECONDS):
                        await wake.wait()
