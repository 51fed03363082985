"""The two tables every domain that takes part in events keeps in its own schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert


class EventTables:
    """`outbox`: events written with the state change they describe, kept until every
    consumer group has passed them (and the retention after).
    `processed_events`: ids of events this domain's handlers have applied (dedup)."""

    def __init__(self, metadata: MetaData) -> None:
        self.outbox = Table(
            "outbox",
            metadata,
            Column("id", UUID(as_uuid=True), primary_key=True),
            # Relay order: the order in which the producing transactions wrote them.
            Column("position", BigInteger, Identity(always=True), nullable=False),
            Column("name", String(100), nullable=False),
            Column("version", Integer, nullable=False),
            Column("payload", JSONB, nullable=False),
            Column(
                "occurred_at", DateTime(timezone=True), nullable=False, server_default=func.now()
            ),
            Column("relayed_at", DateTime(timezone=True)),
            # "<epoch>:<entry id>": the Redis epoch the event was added in and the entry id
            # its XADD got; and when every consumer group of its stream was known to have
            # passed that entry. Until then the row is the record to publish again should
            # Redis lose the entry (relay.py).
            Column("stream_entry_id", String(64)),
            Column("delivered_at", DateTime(timezone=True)),
            Index(
                "ix_outbox_unrelayed",
                "position",
                postgresql_where=text("relayed_at IS NULL"),
            ),
            Index("ix_outbox_relayed_at", "relayed_at"),
            Index(
                "ix_outbox_undelivered",
                "name",
                "position",
                postgresql_where=text("relayed_at IS NOT NULL AND delivered_at IS NULL"),
            ),
        )
        self.processed_events = Table(
            "processed_events",
            metadata,
            Column("event_id", UUID(as_uuid=True), primary_key=True),
            Column("name", String(100), nullable=False),
            Column(
                "processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()
            ),
        )

        # The Postgres channel a commit of new outbox rows is announced on.
        self.notify_channel = f"shopgraph_outbox_{self.outbox.schema or 'public'}"
        # The statements every event costs, built once: the outbox write and the
        # consumer's dedup record (the relay builds its own once, relay.py). One built on
        # each use costs about a third of the CPU of its execution again.
        self.write_event = insert(self.outbox).values(
            id=bindparam("id"),
            name=bindparam("name"),
            version=bindparam("version"),
            payload=bindparam("payload", type_=JSONB),
            occurred_at=bindparam("occurred_at"),
        )
        # The first event of a transaction NOTIFYs the relays in the statement that
        # writes it (outbox.py).
        self.write_event_and_notify = select(func.pg_notify(self.notify_channel, "")).select_from(
            self.write_event.returning(self.outbox.c.id).cte("written")
        )
        self.record_processed = (
            insert(self.processed_events)
            .values(event_id=bindparam("event_id"), name=bindparam("name"))
            .on_conflict_do_nothing(index_elements=[self.processed_events.c.event_id])
            .returning(self.processed_events.c.event_id)
        )
