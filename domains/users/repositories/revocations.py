"""SQL of the users domain's record of revoked access tokens and sessions, and the
advisory lock that orders revoking against copying the record into Redis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from domains.kit.db import all_rows
from domains.users.models import RevokedAccess

# Revocations take this advisory lock shared, for the rest of their transaction; copying
# the record into Redis takes it exclusively, so no revocation commits between the
# copy's read and its marker.
REVOCATIONS_LOCK = 0x7573_7265_766F_6B65  # "usrevoke"


class RevokedAccessRepository:
    async def lock_for_revoking(self, session: AsyncSession) -> None:
        await session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": REVOCATIONS_LOCK}
        )

    async def try_lock_for_copying(self, session: AsyncSession) -> bool:
        return bool(
            await session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": REVOCATIONS_LOCK}
            )
        )

    async def add_many(
        self,
        session: AsyncSession,
        entries: Sequence[tuple[str, str, datetime]],
        *,
        cached: bool,
    ) -> None:
        """Record (kind, value, expires_at) revocations; a repeated one keeps the later expiry."""
        if not entries:
            return
        statement = insert(RevokedAccess).values(
            [
                {
                    "kind": kind,
                    "value": value,
                    "expires_at": expires_at,
                    "cached": cached,
                }
                for kind, value, expires_at in entries
            ]
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[RevokedAccess.kind, RevokedAccess.value],
                set_={
                    "expires_at": func.greatest(
                        RevokedAccess.expires_at, statement.excluded.expires_at
                    ),
                    "cached": RevokedAccess.cached.op("AND")(statement.excluded.cached),
                },
            )
        )

    async def is_revoked(
        self, session: AsyncSession, *, token_id: str, session_id: str | None, now: datetime
    ) -> bool:
        matches: ColumnElement[bool] = (RevokedAccess.kind == "token") & (
            RevokedAccess.value == token_id
        )
        if session_id is not None:
            matches = or_(
                matches, (RevokedAccess.kind == "session") & (RevokedAccess.value == session_id)
            )
        found = await session.scalar(
            select(exists().where(matches, RevokedAccess.expires_at > now))
        )
        return bool(found)

    async def list_live(
        self, session: AsyncSession, now: datetime, *, only_uncached: bool = False
    ) -> Sequence[RevokedAccess]:
        query = select(RevokedAccess).where(RevokedAccess.expires_at > now)
        if only_uncached:
            query = query.where(RevokedAccess.cached.is_(False))
        return await all_rows(session, query)

    async def mark_cached(self, session: AsyncSession, rows: Sequence[RevokedAccess]) -> None:
        if rows:
            await session.execute(
                update(RevokedAccess)
                .where(
                    tuple_(RevokedAccess.kind, RevokedAccess.value).in_(
                        [(row.kind, row.value) for row in rows]
                    )
                )
                .values(cached=True)
            )

    async def delete_expired(self, session: AsyncSession, now: datetime) -> None:
        await session.execute(delete(RevokedAccess).where(RevokedAccess.expires_at <= now))


revoked_access_repository = RevokedAccessRepository()
