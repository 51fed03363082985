"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 00:30:50.711685

Orders, their lines (snapshotted at reservation), their status history, the order
number sequence, and the event tables (outbox, processed_events) of the domain.
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
    op.execute("CREATE SCHEMA IF NOT EXISTS orders")
    op.execute("CREATE SEQUENCE orders.order_number_seq START WITH 1001")
    op.create_table(
        "orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "number",
            sa.BigInteger(),
            server_default=sa.text("nextval('orders.order_number_seq')"),
            nullable=False,
        ),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("checkout_id", sa.UUID(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("status_sequence", sa.Integer(), server_default="1", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("subtotal", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("shipping", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tax", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("shipping_address", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("failure_reason", sa.String(length=32), nullable=True),
        sa.Column(
            "failed_lines",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("payment_due_at", sa.DateTime(timezone=True), nullable=False),
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
            "status IN ('PENDING', 'AWAITING_PAYMENT', 'PAID', 'FULFILLED', 'DELIVERED', 'FAILED', 'CANCELLED', 'REFUNDED', 'PARTIALLY_REFUNDED')",
            name=op.f("ck_orders_status"),
        ),
        sa.CheckConstraint("total = subtotal + shipping + tax", name=op.f("ck_orders_total")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "customer_id", "idempotency_key", name=op.f("uq_orders_customer_id_idempotency_key")
        ),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
        schema="orders",
    )
    op.create_index(
        "ix_orders_customer_newest",
        "orders",
        ["customer_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
        schema="orders",
    )
    op.create_index(
        "ix_orders_payment_due",
        "orders",
        ["payment_due_at"],
        unique=False,
        schema="orders",
        postgresql_where=sa.text("status IN ('PENDING', 'AWAITING_PAYMENT')"),
    )
    create_event_tables("orders")
    op.create_table(
        "order_lines",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("expected_unit_price", sa.BigInteger(), nullable=True),
        sa.Column("expected_currency", sa.String(length=3), nullable=True),
        sa.Column("product_id", sa.UUID(), nullable=True),
        sa.Column("seller_id", sa.UUID(), nullable=True),
        sa.Column("product_name", sa.String(length=200), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("unit_price", sa.BigInteger(), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.CheckConstraint("quantity BETWEEN 1 AND 999", name=op.f("ck_order_lines_quantity")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint(
            "order_id", "variant_id", name=op.f("uq_order_lines_order_id_variant_id")
        ),
        schema="orders",
    )
    op.create_index(
        "ix_order_lines_seller_order",
        "order_lines",
        ["seller_id", "order_id"],
        unique=False,
        schema="orders",
    )
    op.create_table(
        "order_status_history",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=200), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('PENDING', 'AWAITING_PAYMENT', 'PAID', 'FULFILLED', 'DELIVERED', 'FAILED', 'CANCELLED', 'REFUNDED', 'PARTIALLY_REFUNDED')",
            name=op.f("ck_order_status_history_status"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.orders.id"],
            name=op.f("fk_order_status_history_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_status_history")),
        schema="orders",
    )
    op.create_index(
        "ix_order_status_history_order",
        "order_status_history",
        ["order_id", "id"],
        unique=False,
        schema="orders",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_order_status_history_order", table_name="order_status_history", schema="orders"
    )
    op.drop_table("order_status_history", schema="orders")
    op.drop_index("ix_order_lines_seller_order", table_name="order_lines", schema="orders")
    op.drop_table("order_lines", schema="orders")
    drop_event_tables("orders")
    op.drop_index(
        "ix_orders_payment_due",
        table_name="orders",
        schema="orders",
        postgresql_where=sa.text("status IN ('PENDING', 'AWAITING_PAYMENT')"),
    )
    op.drop_index("ix_orders_customer_newest", table_name="orders", schema="orders")
    op.drop_table("orders", schema="orders")
    op.execute("DROP SEQUENCE orders.order_number_seq")
    op.execute("DROP SCHEMA IF EXISTS orders")
