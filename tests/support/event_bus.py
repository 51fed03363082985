"""A scratch schema with its own outbox, a test event and its reader, and the relay and
consumers over them: the event machinery exercised on real Postgres and Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import transaction
from domains.kit.events import (
    Consumer,
    Event,
    EventMeta,
    EventTables,
    Relay,
    Subscription,
    publish,
    stream_key,
)
from domains.kit.resources import Resources
from tests.support.schemas import scratch_schema


@dataclass(frozen=True)
class ParcelLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ParcelShipped(Event):
    """A parcel left the warehouse."""

    name = "ParcelShipped"
    version = 1

    parcel_id: uuid.UUID
    shipped_at: datetime
    lines: list[ParcelLine]
    note: str | None = None


@dataclass(frozen=True)
class ParcelShippedReader(Event):
    """What a consumer reads of ParcelShipped: only the fields it needs."""

    name = "ParcelShipped"
    version = 1

    parcel_id: uuid.UUID


def parcel(note: str | None = None) -> ParcelShipped:
    return ParcelShipped(
        parcel_id=uuid.uuid4(),
        shipped_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        lines=[ParcelLine("SKU-1", 2)],
        note=note,
    )


@dataclass
class Bus:
    resources: Resources
    tables: EventTables
    effects: Table
    fail_next: list[str] = field(default_factory=list)
    # Events whose handler fails at every delivery: poisoned ones.
    poisoned: set[uuid.UUID] = field(default_factory=set)

    def relay(self) -> Relay:
        return Relay(self.resources, self.tables, producer="test")

    def consumer(self, name: str = "c1", **options: int) -> Consumer:
        async def handle(
            session: AsyncSession, event: ParcelShippedReader, meta: EventMeta
        ) -> None:
            await session.execute(insert(self.effects).values(event_id=meta.event_id, note="x"))
            if self.fail_next:
                raise RuntimeError(self.fail_next.pop())
            if meta.event_id in self.poisoned:
                raise RuntimeError(f"event {meta.event_id} cannot be handled")

        return Consumer(
            self.resources,
            self.tables,
            group="testers",
            subscriptions=[Subscription(ParcelShippedReader, handle)],
            consumer_name=name,
            **options,
        )

    async def publish(self, event: Event) -> uuid.UUID:
        async with transaction(self.resources.session_factory) as session:
            return await publish(session, self.tables, event)

    async def count(self, table: Table, *where: object) -> int:
        async with self.resources.session_factory() as session:
            return int(
                (await session.execute(select(func.count()).select_from(table).where(*where)))  # type: ignore[arg-type]
                .scalar_one()
            )

    async def pending(self) -> int:
        summary = await self.resources.redis.xpending(
            stream_key(self.resources.settings, "ParcelShipped"), "testers"
        )
        return int(summary["pending"])


@asynccontextmanager
async def open_bus(resources: Resources) -> AsyncIterator[Bus]:
    def build(metadata: MetaData) -> tuple[EventTables, Table]:
        effects = Table(
            "effects",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("event_id", UUID(as_uuid=True), nullable=False),
            Column("note", String(10)),
        )
        return EventTables(metadata), effects

    async with scratch_schema(resources, "kit_events", build) as (tables, effects):
        yield Bus(resources, tables, effects)
