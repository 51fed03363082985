"""The two tables every domain that takes part in events keeps in its own schema."""

from __future__ import annotations

from typing import TypeVar

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
    Text,
    bindparam,
    cast,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID, insert
from sqlalchemy.sql.selectable import HasCTE

from domains.kit.many_rows import ManyRows

# `stream_entry_id` of an unrelayed row its writing process sends itself (eager.py).
SENT_BY_WRITER = ""


# A statement that takes CTEs: an INSERT, UPDATE, DELETE or SELECT.
_WithCTEs = TypeVar("_WithCTEs", bound=HasCTE)


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
            # its XADD got (before it, SENT_BY_WRITER when its writer sends it itself);
            # and when every consumer group of its stream was known to have passed that
            # entry. Until then the row is the record to publish again should Redis lose
            # the entry (relay.py).
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

        # The domain whose events these are (its schema's name), as streams record it.
        self.producer = self.outbox.schema or "public"
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
        # An event its own process sends once the transaction commits (eager.py): marked
        # so, the relays leave it to that process for WRITER_SEND_GRACE (relay.py).
        self.write_event_to_send = self.write_event.values(stream_entry_id=SENT_BY_WRITER)
        # The first event of a transaction NOTIFYs the relays in the statement that
        # writes it (outbox.py).
        self.write_event_and_notify = select(func.pg_notify(self.notify_channel, "")).select_from(
            self.write_event.returning(self.outbox.c.id).cte("written")
        )
        # Several events of one transaction in one statement (outbox.publish_all): the
        # rows as arrays zipped by unnest, so the statement is the same for any count.
        batch = (
            func.unnest(
                bindparam("ids", type_=ARRAY(UUID(as_uuid=True))),
                bindparam("names", type_=ARRAY(String)),
                bindparam("versions", type_=ARRAY(Integer)),
                bindparam("payloads", type_=ARRAY(Text)),
                bindparam("occurred_ats", type_=ARRAY(DateTime(timezone=True))),
            )
            .table_valued("id", "name", "version", "payload", "occurred_at", with_ordinality="n")
            .render_derived(name="batch", with_types=False)
        )
        columns = ["id", "name", "version", "payload", "occurred_at"]
        # In the order given: the outbox's position is the relay's order.
        rows = select(
            batch.c.id,
            batch.c.name,
            batch.c.version,
            cast(batch.c.payload, JSONB),
            batch.c.occurred_at,
        ).order_by(batch.c.n)
        self.write_events = insert(self.outbox).from_select(columns, rows)
        self.write_events_to_send = insert(self.outbox).from_select(
            [*columns, "stream_entry_id"], rows.add_columns(literal(SENT_BY_WRITER))
        )
        # Events written by another statement, as a CTE of it (outbox.written_within).
        self._written_events = self.write_events_to_send.cte("written_events")
        # pg_notify once per row written: Postgres delivers one of identical
        # notifications of a transaction.
        self.write_events_and_notify = select(func.pg_notify(self.notify_channel, "")).select_from(
            self.write_events.returning(self.outbox.c.id).cte("written")
        )
        # A row added to its stream: where it went (relay.py).
        self.mark_relayed = (
            update(self.outbox)
            .where(self.outbox.c.id == bindparam("row_id"))
            .values(relayed_at=func.now(), stream_entry_id=bindparam("went_to"))
        )
        # Events sent by their transactions' own process once committed (eager.py),
        # those of several transactions in one statement (rows as arrays, compiled
        # once): marked relayed unless a relay got to them first.
        # `relayed_at` is when each was added to its stream, not when the mark ran.
        sent = (
            func.unnest(
                bindparam("sent_ids", type_=ARRAY(UUID(as_uuid=True))),
                bindparam("sent_to", type_=ARRAY(String)),
                bindparam("sent_at", type_=ARRAY(DateTime(timezone=True))),
            )
            .table_valued("id", "went_to", "at")
            .render_derived(name="sent", with_types=False)
        )
        self.mark_sent = (
            update(self.outbox)
            .where(self.outbox.c.id == sent.c.id, self.outbox.c.relayed_at.is_(None))
            .values(relayed_at=sent.c.at, stream_entry_id=sent.c.went_to)
        )
        self.record_processed = (
            insert(self.processed_events)
            .values(event_id=bindparam("event_id"), name=bindparam("name"))
            .on_conflict_do_nothing(index_elements=[self.processed_events.c.event_id])
            .returning(self.processed_events.c.event_id)
        )
        # A consumer's batch recorded in one statement: the ids it inserted come back.
        self.processed_rows = ManyRows(self.processed_events, ["event_id", "name"], name="seen")
        self.record_all_processed = (
            self.processed_rows.insert()
            .on_conflict_do_nothing(index_elements=[self.processed_events.c.event_id])
            .returning(self.processed_events.c.event_id)
        )

    def with_events_written(self, statement: _WithCTEs) -> _WithCTEs:
        """`statement` writing the events of `outbox.written_within`'s parameters too."""
        return statement.add_cte(self._written_events)
