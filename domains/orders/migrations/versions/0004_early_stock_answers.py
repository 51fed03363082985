"""early stock answers: products' answer for an order not placed yet

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-20 09:00:00.000000

Products now reserves a checkout's stock from CheckoutRequested, in parallel with orders
placing the order from it; an answer that arrives before its order waits here until the
order is placed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "early_stock_answers",
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_early_stock_answers")),
        schema="orders",
    )


def downgrade() -> None:
    op.drop_table("early_stock_answers", schema="orders")
