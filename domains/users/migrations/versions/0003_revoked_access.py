"""revoked access: the record of revoked access tokens and sessions behind the Redis cache

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revoked_access",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column(
            "revoked_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('token', 'session')", name=op.f("ck_revoked_access_kind")),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_revoked_access")),
        schema="users",
    )
    op.create_index(
        op.f("ix_users_revoked_access_expires_at"),
        "revoked_access",
        ["expires_at"],
        unique=False,
        schema="users",
    )
    op.create_index(
        "ix_revoked_access_not_cached",
        "revoked_access",
        ["revoked_at"],
        unique=False,
        schema="users",
        postgresql_where=sa.text("NOT cached"),
    )


def downgrade() -> None:
    op.drop_index("ix_revoked_access_not_cached", table_name="revoked_access", schema="users")
    op.drop_index(
        op.f("ix_users_revoked_access_expires_at"), table_name="revoked_access", schema="users"
    )
    op.drop_table("revoked_access", schema="users")
