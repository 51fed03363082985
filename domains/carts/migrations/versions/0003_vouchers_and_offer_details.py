"""vouchers, the codes applied to carts, their redemptions; offers' product details

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-10 09:00:00.000000

Vouchers (codes with their terms and `uses_held`, the counter a checkout's conditional
UPDATE checks against the usage limit), the codes applied to open carts, and the ledger
of their uses by orders (RESERVED at checkout, COMMITTED when paid, RELEASED when the
order fails or is cancelled). Offers learn what vouchers are checked against: the
product, the seller, the price before promotion, the promotion's name, the categories.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.add_column(
        "variant_offers", sa.Column("product_id", sa.UUID(), nullable=True), schema="carts"
    )
    op.add_column(
        "variant_offers", sa.Column("seller_id", sa.UUID(), nullable=True), schema="carts"
    )
    op.add_column(
        "variant_offers",
        sa.Column("list_price_amount", sa.BigInteger(), nullable=True),
        schema="carts",
    )
    op.add_column(
        "variant_offers",
        sa.Column("promotion_name", sa.String(length=200), nullable=True),
        schema="carts",
    )
    op.add_column(
        "variant_offers",
        sa.Column(
            "category_ids",
            postgresql.ARRAY(sa.UUID()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        schema="carts",
    )

    op.create_table(
        "vouchers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("seller_id", sa.UUID(), nullable=True),
        sa.Column(
            "category_ids",
            postgresql.ARRAY(sa.UUID()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "product_ids",
            postgresql.ARRAY(sa.UUID()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("min_subtotal", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("usage_limit", sa.Integer(), nullable=True),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("combinable", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uses_held", sa.Integer(), server_default="0", nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("code ~ '^[A-Z0-9_-]{3,32}$'", name=op.f("ck_vouchers_code")),
        sa.CheckConstraint("kind IN ('PERCENTAGE', 'FIXED')", name=op.f("ck_vouchers_kind")),
        sa.CheckConstraint(
            "scope IN ('ORDER', 'SELLER', 'CATEGORIES', 'PRODUCTS')", name=op.f("ck_vouchers_scope")
        ),
        sa.CheckConstraint(
            "value > 0 AND (kind <> 'PERCENTAGE' OR value <= 10000)", name=op.f("ck_vouchers_value")
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_vouchers_currency")),
        sa.CheckConstraint(
            "currency IS NOT NULL OR (kind = 'PERCENTAGE' AND min_subtotal = 0)",
            name=op.f("ck_vouchers_currency_needed"),
        ),
        sa.CheckConstraint("min_subtotal >= 0", name=op.f("ck_vouchers_min_subtotal")),
        sa.CheckConstraint(
            "scope <> 'SELLER' OR seller_id IS NOT NULL", name=op.f("ck_vouchers_seller_scope")
        ),
        sa.CheckConstraint(
            "scope <> 'CATEGORIES' OR cardinality(category_ids) > 0",
            name=op.f("ck_vouchers_categories_scope"),
        ),
        sa.CheckConstraint(
            "scope <> 'PRODUCTS' OR cardinality(product_ids) > 0",
            name=op.f("ck_vouchers_products_scope"),
        ),
        sa.CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at",
            name=op.f("ck_vouchers_dates"),
        ),
        sa.CheckConstraint(
            "usage_limit IS NULL OR usage_limit > 0", name=op.f("ck_vouchers_usage_limit")
        ),
        sa.CheckConstraint(
            "per_customer_limit IS NULL OR per_customer_limit > 0",
            name=op.f("ck_vouchers_per_customer_limit"),
        ),
        sa.CheckConstraint(
            "uses_held >= 0 AND (usage_limit IS NULL OR uses_held <= usage_limit)",
            name=op.f("ck_vouchers_uses_held"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("code", name=op.f("uq_vouchers_code")),
        schema="carts",
    )
    op.create_index(
        "ix_vouchers_seller_id_created_at",
        "vouchers",
        ["seller_id", "created_at"],
        unique=False,
        schema="carts",
    )

    op.create_table(
        "cart_vouchers",
        sa.Column("cart_id", sa.UUID(), nullable=False),
        sa.Column("voucher_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _timestamp("applied_at"),
        sa.ForeignKeyConstraint(
            ["cart_id"],
            ["carts.carts.id"],
            name=op.f("fk_cart_vouchers_cart_id_carts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["carts.vouchers.id"], name=op.f("fk_cart_vouchers_voucher_id_vouchers")
        ),
        sa.PrimaryKeyConstraint("cart_id", "voucher_id", name=op.f("pk_cart_vouchers")),
        schema="carts",
    )
    op.create_index(
        "ix_cart_vouchers_voucher_id", "cart_vouchers", ["voucher_id"], unique=False, schema="carts"
    )

    op.create_table(
        "voucher_redemptions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("voucher_id", sa.UUID(), nullable=False),
        sa.Column("checkout_id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="RESERVED", nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint(
            "status IN ('RESERVED', 'COMMITTED', 'RELEASED')",
            name=op.f("ck_voucher_redemptions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["carts.vouchers.id"],
            name=op.f("fk_voucher_redemptions_voucher_id_vouchers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_redemptions")),
        sa.UniqueConstraint(
            "voucher_id", "order_id", name=op.f("uq_voucher_redemptions_voucher_id_order_id")
        ),
        schema="carts",
    )
    op.create_index(
        "ix_voucher_redemptions_order_id",
        "voucher_redemptions",
        ["order_id"],
        unique=False,
        schema="carts",
    )
    op.create_index(
        "ix_voucher_redemptions_held_by_customer",
        "voucher_redemptions",
        ["voucher_id", "customer_id"],
        unique=False,
        schema="carts",
        postgresql_where=sa.text("status <> 'RELEASED'"),
    )


def downgrade() -> None:
    op.drop_table("voucher_redemptions", schema="carts")
    op.drop_table("cart_vouchers", schema="carts")
    op.drop_table("vouchers", schema="carts")
    for column in (
        "category_ids",
        "promotion_name",
        "list_price_amount",
        "seller_id",
        "product_id",
    ):
        op.drop_column("variant_offers", column, schema="carts")
