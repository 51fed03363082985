"""refunds, and the sweep of parked webhooks

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000

Each refund asked of the provider is kept by its id with its status, so a refund that
fails later at the provider (refund.failed) can be found and stop counting; parked
webhook events get an index on their arrival for the sweep that deletes old ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "refunds",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("payment_id", sa.UUID(), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_reason", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount")),
        sa.CheckConstraint(
            "status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'CANCELED')",
            name=op.f("ck_refunds_status"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.payments.id"],
            name=op.f("fk_refunds_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("provider_reference", name=op.f("uq_refunds_provider_reference")),
        schema="payments",
    )
    op.create_index(
        "ix_refunds_payment",
        "refunds",
        ["payment_id", "created_at"],
        unique=False,
        schema="payments",
    )
    op.create_index(
        "ix_webhook_events_parked",
        "webhook_events",
        ["received_at"],
        unique=False,
        schema="payments",
        postgresql_where=sa.text("status = 'PENDING'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_webhook_events_parked",
        table_name="webhook_events",
        schema="payments",
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.drop_index("ix_refunds_payment", table_name="refunds", schema="payments")
    op.drop_table("refunds", schema="payments")
