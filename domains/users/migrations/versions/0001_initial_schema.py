"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 22:59:58.457267
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS users")
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_outbox")),
        schema="users",
    )
    op.create_index(
        "ix_email_outbox_pending",
        "email_outbox",
        ["next_attempt_at"],
        unique=False,
        schema="users",
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "roles",
            sa.ARRAY(sa.String(length=16)),
            server_default=sa.text("ARRAY['CUSTOMER']::varchar[]"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "is_email_confirmed", sa.Boolean(), server_default=sa.text("false"), nullable=False
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        schema="users",
    )
    op.create_index(
        "uq_users_email_lower",
        "users",
        [sa.literal_column("lower(email)")],
        unique=True,
        schema="users",
    )
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('password_reset', 'email_confirmation')",
            name=op.f("ck_account_tokens_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.users.id"],
            name=op.f("fk_account_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
        schema="users",
    )
    op.create_index(
        op.f("ix_users_account_tokens_user_id"),
        "account_tokens",
        ["user_id"],
        unique=False,
        schema="users",
    )
    op.create_table(
        "addresses",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("company", sa.String(length=200), server_default="", nullable=False),
        sa.Column("street_address_1", sa.String(length=200), nullable=False),
        sa.Column("street_address_2", sa.String(length=200), server_default="", nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), server_default="", nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("country_area", sa.String(length=100), server_default="", nullable=False),
        sa.Column("phone", sa.String(length=32), server_default="", nullable=False),
        sa.Column(
            "is_default_shipping", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "is_default_billing", sa.Boolean(), server_default=sa.text("false"), nullable=False
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
        sa.CheckConstraint("country_code ~ '^[A-Z]{2}$'", name=op.f("ck_addresses_country_code")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.users.id"],
            name=op.f("fk_addresses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
        schema="users",
    )
    op.create_index(
        op.f("ix_users_addresses_user_id"), "addresses", ["user_id"], unique=False, schema="users"
    )
    op.create_index(
        "uq_addresses_default_billing",
        "addresses",
        ["user_id"],
        unique=True,
        schema="users",
        postgresql_where=sa.text("is_default_billing"),
    )
    op.create_index(
        "uq_addresses_default_shipping",
        "addresses",
        ["user_id"],
        unique=True,
        schema="users",
        postgresql_where=sa.text("is_default_shipping"),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("family_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
        schema="users",
    )
    op.create_index(
        op.f("ix_users_refresh_tokens_family_id"),
        "refresh_tokens",
        ["family_id"],
        unique=False,
        schema="users",
    )
    op.create_index(
        op.f("ix_users_refresh_tokens_user_id"),
        "refresh_tokens",
        ["user_id"],
        unique=False,
        schema="users",
    )
    op.create_table(
        "seller_profiles",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("shop_name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
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
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.users.id"],
            name=op.f("fk_seller_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_profiles")),
        sa.UniqueConstraint("slug", name=op.f("uq_seller_profiles_slug")),
        sa.UniqueConstraint("user_id", name=op.f("uq_seller_profiles_user_id")),
        schema="users",
    )


def downgrade() -> None:
    op.drop_table("seller_profiles", schema="users")
    op.drop_index(
        op.f("ix_users_refresh_tokens_user_id"), table_name="refresh_tokens", schema="users"
    )
    op.drop_index(
        op.f("ix_users_refresh_tokens_family_id"), table_name="refresh_tokens", schema="users"
    )
    op.drop_table("refresh_tokens", schema="users")
    op.drop_index(
        "uq_addresses_default_shipping",
        table_name="addresses",
        schema="users",
        postgresql_where=sa.text("is_default_shipping"),
    )
    op.drop_index(
        "uq_addresses_default_billing",
        table_name="addresses",
        schema="users",
        postgresql_where=sa.text("is_default_billing"),
    )
    op.drop_index(op.f("ix_users_addresses_user_id"), table_name="addresses", schema="users")
    op.drop_table("addresses", schema="users")
    op.drop_index(
        op.f("ix_users_account_tokens_user_id"), table_name="account_tokens", schema="users"
    )
    op.drop_table("account_tokens", schema="users")
    op.drop_index("uq_users_email_lower", table_name="users", schema="users")
    op.drop_table("users", schema="users")
    op.drop_index(
        "ix_email_outbox_pending",
        table_name="email_outbox",
        schema="users",
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.drop_table("email_outbox", schema="users")
    # Without CASCADE: if anything is left in the schema, downgrading must fail loudly.
    op.execute("DROP SCHEMA users")
