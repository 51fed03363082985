"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 00:21:17.774392

Carts, their lines, checkouts (the orders they asked for), the variant offers heard from
products, and the event tables (outbox, processed_events) of the domain.
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
    op.execute("CREATE SCHEMA IF NOT EXISTS carts")
    op.create_table(
        "carts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="OPEN", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
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
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_carts_currency")),
        sa.CheckConstraint(
            "status IN ('OPEN', 'MERGED', 'CHECKED_OUT', 'EXPIRED')", name=op.f("ck_carts_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts")),
        schema="carts",
    )
    op.create_index(
        "ix_carts_guest_activity",
        "carts",
        ["updated_at"],
        unique=False,
        schema="carts",
        postgresql_where=sa.text("status = 'OPEN' AND customer_id IS NULL"),
    )
    op.create_index(
        "uq_carts_open_customer",
        "carts",
        ["customer_id"],
        unique=True,
        schema="carts",
        postgresql_where=sa.text("status = 'OPEN' AND customer_id IS NOT NULL"),
    )
    op.create_table(
        "checkouts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("cart_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=24), server_default="PENDING", nullable=False),
        sa.Column("status_sequence", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failure_reason", sa.String(length=32), nullable=True),
        sa.Column(
            "failed_lines",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "line_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
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
            "status IN ('PENDING', 'AWAITING_PAYMENT', 'FAILED', 'PAID', 'FULFILLED', 'DELIVERED', 'CANCELLED', 'REFUNDED', 'PARTIALLY_REFUNDED')",
            name=op.f("ck_checkouts_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkouts")),
        sa.UniqueConstraint(
            "customer_id", "idempotency_key", name=op.f("uq_checkouts_customer_id_idempotency_key")
        ),
        sa.UniqueConstraint("order_id", name=op.f("uq_checkouts_order_id")),
        schema="carts",
    )
    op.create_index("ix_checkouts_cart_id", "checkouts", ["cart_id"], unique=False, schema="carts")
    create_event_tables("carts")
    op.create_table(
        "variant_offers",
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("price_amount", sa.BigInteger(), nullable=True),
        sa.Column("price_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("available", sa.Integer(), nullable=True),
        sa.Column("stock_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("variant_id", name=op.f("pk_variant_offers")),
        schema="carts",
    )
    op.create_table(
        "cart_lines",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("cart_id", sa.UUID(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("quantity BETWEEN 1 AND 999", name=op.f("ck_cart_lines_quantity")),
        sa.ForeignKeyConstraint(
            ["cart_id"],
            ["carts.carts.id"],
            name=op.f("fk_cart_lines_cart_id_carts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart_lines")),
        sa.UniqueConstraint("cart_id", "variant_id", name=op.f("uq_cart_lines_cart_id_variant_id")),
        schema="carts",
    )


def downgrade() -> None:
    op.drop_table("cart_lines", schema="carts")
    op.drop_table("variant_offers", schema="carts")
    drop_event_tables("carts")
    op.drop_index("ix_checkouts_cart_id", table_name="checkouts", schema="carts")
    op.drop_table("checkouts", schema="carts")
    op.drop_index(
        "uq_carts_open_customer",
        table_name="carts",
        schema="carts",
        postgresql_where=sa.text("status = 'OPEN' AND customer_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_carts_guest_activity",
        table_name="carts",
        schema="carts",
        postgresql_where=sa.text("status = 'OPEN' AND customer_id IS NULL"),
    )
    op.drop_table("carts", schema="carts")
    op.execute("DROP SCHEMA IF EXISTS carts")
