"""promotions: automatic catalogue discounts on categories, products or a seller's shop

Revision ID: 0007
Revises: 0006
Create Date: 2027-01-10 10:00:00.000000

`announced_state` is the sweeper's bookkeeping: which of a promotion's boundaries (its
start, its end) the VariantPriceChanged events have announced, so each is announced once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promotions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "category_ids",
            postgresql.ARRAY(sa.UUID()),
            server_default=sa.text("'{}'::uuid[]"),
            nullable=False,
        ),
        sa.Column(
            "product_ids",
            postgresql.ARRAY(sa.UUID()),
            server_default=sa.text("'{}'::uuid[]"),
            nullable=False,
        ),
        sa.Column("seller_id", sa.UUID(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column(
            "announced_state", sa.String(length=16), server_default="PENDING", nullable=False
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
        sa.CheckConstraint("kind IN ('PERCENTAGE', 'FIXED')", name=op.f("ck_promotions_kind")),
        sa.CheckConstraint(
            "announced_state IN ('PENDING', 'STARTED', 'ENDED')",
            name=op.f("ck_promotions_announced_state"),
        ),
        sa.CheckConstraint(
            "kind <> 'PERCENTAGE' OR (value BETWEEN 1 AND 10000 AND currency IS NULL)",
            name=op.f("ck_promotions_percentage"),
        ),
        sa.CheckConstraint(
            "kind <> 'FIXED' OR (value > 0 AND currency ~ '^[A-Z]{3}$')",
            name=op.f("ck_promotions_fixed"),
        ),
        sa.CheckConstraint(
            "ends_at IS NULL OR ends_at > starts_at", name=op.f("ck_promotions_ends_after_start")
        ),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 100", name=op.f("ck_promotions_name")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions")),
        schema="products",
    )
    op.create_index(
        "ix_promotions_open_ends_at",
        "promotions",
        ["ends_at"],
        unique=False,
        schema="products",
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index(
        "ix_promotions_unannounced",
        "promotions",
        ["starts_at"],
        unique=False,
        schema="products",
        postgresql_where=sa.text("announced_state <> 'ENDED'"),
    )
    op.create_index(
        "ix_promotions_newest",
        "promotions",
        [sa.text("created_at DESC"), sa.text("id DESC")],
        unique=False,
        schema="products",
    )
    op.create_index(
        "ix_promotions_seller_newest",
        "promotions",
        ["seller_id", sa.text("created_at DESC"), sa.text("id DESC")],
        unique=False,
        schema="products",
    )


def downgrade() -> None:
    op.drop_table("promotions", schema="products")
