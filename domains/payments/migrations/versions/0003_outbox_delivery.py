"""outbox delivery: where each relayed event went, and when every consumer passed it

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 23:55:00.000000

The relay keeps an event's row, as the record, until every consumer group of its stream
has passed its entry, and publishes undelivered rows again when Redis loses them
(domains/kit/events/relay.py). Rows relayed before this revision count as delivered:
nothing recorded where they went.
"""

from collections.abc import Sequence

from domains.kit.events.migrations import add_outbox_delivery, drop_outbox_delivery

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_outbox_delivery("payments")


def downgrade() -> None:
    drop_outbox_delivery("payments")
