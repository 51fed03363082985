"""outbox delivery: where each relayed event went, and when every consumer passed it

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 23:55:00.000000

The relay keeps an event's row, as the record, until every consumer group of its stream
has passed its entry, and publishes undelivered rows again when Redis loses them
(domains/kit/events/relay.py). Rows relayed before this revision count as delivered:
nothing recorded where they went.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbox", sa.Column("stream_entry_id", sa.String(length=64), nullable=True), schema="carts"
    )
    op.add_column(
        "outbox",
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        schema="carts",
    )
    op.execute("UPDATE carts.outbox SET delivered_at = relayed_at WHERE relayed_at IS NOT NULL")
    op.create_index(
        "ix_outbox_undelivered",
        "outbox",
        ["name", "position"],
        unique=False,
        schema="carts",
        postgresql_where=sa.text("relayed_at IS NOT NULL AND delivered_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_outbox_undelivered",
        table_name="outbox",
        schema="carts",
        postgresql_where=sa.text("relayed_at IS NOT NULL AND delivered_at IS NULL"),
    )
    op.drop_column("outbox", "delivered_at", schema="carts")
    op.drop_column("outbox", "stream_entry_id", schema="carts")
