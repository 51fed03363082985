"""event tables: the users domain consumes order events (customer emails)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
        schema="users",
    )
    op.create_index("ix_outbox_relayed_at", "outbox", ["relayed_at"], unique=False, schema="users")
    op.create_index(
        "ix_outbox_unrelayed",
        "outbox",
        ["position"],
        unique=False,
        schema="users",
        postgresql_where=sa.text("relayed_at IS NULL"),
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
        schema="users",
    )


def downgrade() -> None:
    op.drop_table("processed_events", schema="users")
    op.drop_index(
        "ix_outbox_unrelayed",
        table_name="outbox",
        schema="users",
        postgresql_where=sa.text("relayed_at IS NULL"),
    )
    op.drop_index("ix_outbox_relayed_at", table_name="outbox", schema="users")
    op.drop_table("outbox", schema="users")
