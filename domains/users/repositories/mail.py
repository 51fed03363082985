"""SQL of the users domain's mail outbox: messages written in a transaction, sent after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import all_rows
from domains.users.models import EmailOutbox


class EmailOutboxRepository:
    async def add(self, session: AsyncSession, message: EmailOutbox) -> None:
        session.add(message)
        await session.flush()

    async def claim_due(
        self, session: AsyncSession, now: datetime, limit: int, max_attempts: int
    ) -> Sequence[EmailOutbox]:
        """Lock a batch of due messages; SKIP LOCKED lets several senders share the outbox."""
        return await all_rows(
            session,
            select(EmailOutbox)
            .where(
                EmailOutbox.sent_at.is_(None),
                EmailOutbox.next_attempt_at <= now,
                EmailOutbox.attempts < max_attempts,
            )
            .order_by(EmailOutbox.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True),
        )


email_outbox_repository = EmailOutboxRepository()
