"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 03:27:25.949969

Payments (one per order and amount, following its PaymentIntent), their transaction log,
the provider's webhook events by id, and the event tables (outbox, processed_events).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from domains.kit.events.migrations import create_event_tables, drop_event_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS payments")
    create_event_tables("payments")
    op.create_table(
        "payments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("client_secret", sa.String(length=255), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("captured_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("flagged_reason", sa.String(length=500), nullable=True),
        sa.Column("order_cancelled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
        sa.CheckConstraint(
            "status IN ('REQUIRES_ACTION', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'PARTIALLY_REFUNDED', 'REFUNDED')",
            name=op.f("ck_payments_status"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount")),
        sa.CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= captured_amount AND captured_amount <= amount",
            name=op.f("ck_payments_refund_within_capture"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payments_idempotency_key")),
        sa.UniqueConstraint("provider_reference", name=op.f("uq_payments_provider_reference")),
        schema="payments",
    )
    op.create_index(
        "ix_payments_open",
        "payments",
        ["created_at"],
        unique=False,
        schema="payments",
        postgresql_where=sa.text("status IN ('REQUIRES_ACTION', 'PROCESSING')"),
    )
    op.create_index(
        "ix_payments_order", "payments", ["order_id", "created_at"], unique=False, schema="payments"
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('APPLIED', 'PENDING', 'IGNORED')", name=op.f("ck_webhook_events_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        schema="payments",
    )
    op.create_index(
        "ix_webhook_events_pending",
        "webhook_events",
        ["provider_reference"],
        unique=False,
        schema="payments",
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_table(
        "payment_transactions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("payment_id", sa.UUID(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=True),
        sa.Column("message", sa.String(length=500), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "type IN ('AUTHORIZATION_REQUEST', 'AUTHORIZATION_SUCCESS', 'AUTHORIZATION_FAILURE', 'CHARGE_REQUEST', 'CHARGE_SUCCESS', 'CHARGE_FAILURE', 'REFUND_REQUEST', 'REFUND_SUCCESS', 'REFUND_FAILURE', 'CANCEL_REQUEST', 'CANCEL_SUCCESS', 'CANCEL_FAILURE')",
            name=op.f("ck_payment_transactions_type"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.payments.id"],
            name=op.f("fk_payment_transactions_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_transactions")),
        schema="payments",
    )
    op.create_index(
        "ix_payment_transactions_payment",
        "payment_transactions",
        ["payment_id", "id"],
        unique=False,
        schema="payments",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_payment_transactions_payment", table_name="payment_transactions", schema="payments"
    )
    op.drop_table("payment_transactions", schema="payments")
    op.drop_index(
        "ix_webhook_events_pending",
        table_name="webhook_events",
        schema="payments",
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.drop_table("webhook_events", schema="payments")
    drop_event_tables("payments")
    op.drop_index("ix_payments_order", table_name="payments", schema="payments")
    op.drop_index(
        "ix_payments_open",
        table_name="payments",
        schema="payments",
        postgresql_where=sa.text("status IN ('REQUIRES_ACTION', 'PROCESSING')"),
    )
    op.drop_table("payments", schema="payments")
    op.execute("DROP SCHEMA IF EXISTS payments")
