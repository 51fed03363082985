"""price breakdown: discounts, parcels and inclusive tax, per order and per line

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-10 09:00:00.000000

An order keeps the breakdown it was placed at: its discounts by name, whether its prices
include tax, one parcel per seller (method, price, tax, estimate, and when it shipped),
and each line's list price, discount, shipping share, tax and total. The total's check
changes with it: an inclusive tax is shown, not added. Orders placed before keep their
amounts (no discount, tax excluded, so the new check holds for them); their lines' new
columns stay null and they have no parcels.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TOTAL = "total = subtotal - discount + shipping + CASE WHEN tax_included THEN 0 ELSE tax END"
OLD_TOTAL = "total = subtotal + shipping + tax"
LINE_AMOUNTS = ("list_unit_price", "discount", "shipping", "tax", "total")


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column("discount", sa.BigInteger(), server_default="0", nullable=False),
        schema="orders",
    )
    op.add_column(
        "orders",
        sa.Column("tax_included", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema="orders",
    )
    op.add_column(
        "orders",
        sa.Column(
            "discounts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        schema="orders",
    )
    op.drop_constraint(op.f("ck_orders_total"), "orders", schema="orders", type_="check")
    op.create_check_constraint(op.f("ck_orders_total"), "orders", NEW_TOTAL, schema="orders")
    op.create_check_constraint(
        op.f("ck_orders_amounts_not_negative"),
        "orders",
        "subtotal >= 0 AND discount >= 0 AND shipping >= 0 AND tax >= 0 AND total >= 0",
        schema="orders",
    )
    for column in LINE_AMOUNTS:
        op.add_column(
            "order_lines", sa.Column(column, sa.BigInteger(), nullable=True), schema="orders"
        )
    op.create_check_constraint(
        op.f("ck_order_lines_amounts_not_negative"),
        "order_lines",
        "list_unit_price >= 0 AND unit_price >= 0 AND discount >= 0 AND shipping >= 0 "
        "AND tax >= 0 AND total >= 0",
        schema="orders",
    )
    op.create_table(
        "order_parcels",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("seller_id", sa.UUID(), nullable=False),
        sa.Column("method_id", sa.UUID(), nullable=True),
        sa.Column("method_name", sa.String(length=200), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("min_days", sa.Integer(), nullable=True),
        sa.Column("max_days", sa.Integer(), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "price >= 0 AND tax >= 0", name=op.f("ck_order_parcels_amounts_not_negative")
        ),
        sa.CheckConstraint(
            "min_days >= 0 AND max_days >= min_days", name=op.f("ck_order_parcels_estimate")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.orders.id"],
            name=op.f("fk_order_parcels_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_parcels")),
        sa.UniqueConstraint(
            "order_id", "seller_id", name=op.f("uq_order_parcels_order_id_seller_id")
        ),
        schema="orders",
    )


def downgrade() -> None:
    op.drop_table("order_parcels", schema="orders")
    op.drop_constraint(
        op.f("ck_order_lines_amounts_not_negative"), "order_lines", schema="orders", type_="check"
    )
    for column in reversed(LINE_AMOUNTS):
        op.drop_column("order_lines", column, schema="orders")
    op.drop_constraint(
        op.f("ck_orders_amounts_not_negative"), "orders", schema="orders", type_="check"
    )
    op.drop_constraint(op.f("ck_orders_total"), "orders", schema="orders", type_="check")
    # Orders discounted or with inclusive tax no longer add up the old way: their total
    # keeps what was charged, and the old check is added without validating old rows.
    op.execute(
        f"ALTER TABLE orders.orders ADD CONSTRAINT ck_orders_total CHECK ({OLD_TOTAL}) NOT VALID"
    )
    op.drop_column("orders", "discounts", schema="orders")
    op.drop_column("orders", "tax_included", schema="orders")
    op.drop_column("orders", "discount", schema="orders")
