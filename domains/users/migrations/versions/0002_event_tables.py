"""event tables: the users domain consumes order events (customer emails)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 04:40:00.000000
"""

from collections.abc import Sequence

from domains.kit.events.migrations import create_event_tables, drop_event_tables

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_event_tables("users")


def downgrade() -> None:
    drop_event_tables("users")
