"""The event tables' migration steps, for every domain's Alembic history.

Each domain keeps the tables of domains/kit/events/tables.py (`outbox`, `processed_events`)
in its own schema, and created them in two steps: the tables as first written
(`create_event_tables`), then the outbox-delivery columns and index
(`add_outbox_delivery`). A domain's migrations call these with its schema, so every
domain's history emits the same DDL, and a revision that ran once stays what it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

_UNRELAYED = "relayed_at IS NULL"
_UNDELIVERED = "relayed_at IS NOT NULL AND delivered_at IS NULL"


def create_event_tables(schema: str) -> None:
    """`outbox` (without the delivery columns) and `processed_events` in `schema`."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("position", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        schema=schema,
    )
    op.create_index("ix_outbox_relayed_at", "outbox", ["relayed_at"], unique=False, schema=schema)
    op.create_index(
        "ix_outbox_unrelayed",
        "outbox",
        ["position"],
        unique=False,
        schema=schema,
        postgresql_where=sa.text(_UNRELAYED),
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_events")),
        schema=schema,
    )


def drop_event_tables(schema: str) -> None:
    """Undo create_event_tables."""
    op.drop_table("processed_events", schema=schema)
    op.drop_index(
        "ix_outbox_unrelayed",
        table_name="outbox",
        schema=schema,
        postgresql_where=sa.text(_UNRELAYED),
    )
    op.drop_index("ix_outbox_relayed_at", table_name="outbox", schema=schema)
    op.drop_table("outbox", schema=schema)


def add_outbox_delivery(schema: str) -> None:
    """Where each relayed event went, and when every consumer group passed it.

    The relay keeps an event's row, as the record, until every consumer group of its
    stream has passed its entry, and publishes undelivered rows again when Redis loses
    them (domains/kit/events/relay.py). Rows relayed before this step count as
    delivered: nothing recorded where they went.
    """
    op.add_column(
        "outbox", sa.Column("stream_entry_id", sa.String(length=64), nullable=True), schema=schema
    )
    op.add_column(
        "outbox",
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        schema=schema,
    )
    # `schema` is a domain's name from its own migrations, never input.
    op.execute(
        f"UPDATE {schema}.outbox SET delivered_at = relayed_at WHERE relayed_at IS NOT NULL"  # noqa: S608
    )
    op.create_index(
        "ix_outbox_undelivered",
        "outbox",
        ["name", "position"],
        unique=False,
        schema=schema,
        postgresql_where=sa.text(_UNDELIVERED),
    )


def drop_outbox_delivery(schema: str) -> None:
    """Undo add_outbox_delivery."""
    op.drop_index(
        "ix_outbox_undelivered",
        table_name="outbox",
        schema=schema,
        postgresql_where=sa.text(_UNDELIVERED),
    )
    op.drop_column("outbox", "delivered_at", schema=schema)
    op.drop_column("outbox", "stream_entry_id", schema=schema)
