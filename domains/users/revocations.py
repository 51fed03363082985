"""The record of revoked access tokens, and keeping the Redis cache of it complete.

The users domain owns the record (`users.revoked_access`), written in the transaction of
the sign-out, password change or reset that revokes. Redis is the cache every subgraph
checks on each request; why it is written before the commit, and what each subgraph
does when Redis cannot vouch for a token, is in domains/kit/revocation.py.

Here:

- `revocations.revoke`: record the revocations and write them to Redis, inside the
  caller's unit of work. Redis unreachable: RevocationUnavailable, and the caller's
  transaction rolls back, unless the caller must commit anyway (a replayed refresh
  token): then the rows are kept as not cached, and the worker copies them once Redis
  answers.
- `is_revoked_in_record`: what the users subgraph asks when Redis cannot vouch for a
  token (graphql/revocation_check.py).
- `copy_record_to_cache` and `revocation_cache_worker`: put the record back into Redis
  when the marker is gone (Redis lost its data), and copy over the rows not cached.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.aio import raise_if_stopping
from domains.kit.db import read_session, transaction
from domains.kit.resources import Resources
from domains.kit.revocation import RevocationUnavailable, TokenRevocations
from domains.users.models import RevokedAccess
from domains.users.repositories.revocations import revoked_access_repository

logger = logging.getLogger("shopgraph.auth")

# How often each users process looks for a Redis that lost the revocations, or for rows
# not cached yet. Other subgraphs may accept a token revoked before such a loss for
# about this long (domains/kit/revocation.py).
CACHE_CHECK_INTERVAL_SECONDS = 2.0


def _now() -> datetime:
    return datetime.now(UTC)


class RevocationService:
    async def revoke(
        self,
        session: AsyncSession,
        cache: TokenRevocations,
        *,
        sessions: Iterable[uuid.UUID] = (),
        token: tuple[str, datetime] | None = None,
        commit_without_cache: bool = False,
    ) -> None:
        """Revoke sign-in sessions (their access tokens until the last expires) and one
        access token (until it expires), in the record and in Redis."""
        now = _now()
        session_entries = [(str(sid), now + cache.lifetime) for sid in sessions]
        token_entries = [token] if token is not None and token[1] > now else []
        if not session_entries and not token_entries:
            return
        await revoked_access_repository.lock_for_revoking(session)
        try:
            await cache.write(tokens=token_entries, sessions=session_entries)
            cached = True
        except RedisError as error:
            if not commit_without_cache:
                raise RevocationUnavailable(
                    "Signing out cannot be recorded just now, so nothing was changed. "
                    "Try again shortly."
                ) from error
            logger.warning("revocations recorded without Redis, copied when it is back: %s", error)
            cached = False
        await revoked_access_repository.add_many(
            session,
            [("token", value, until) for value, until in token_entries]
            + [("session", value, until) for value, until in session_entries],
            cached=cached,
        )


revocations = RevocationService()


async def is_revoked_in_record(resources: Resources, token_id: str, session_id: str | None) -> bool:
    # The primary: a revocation committed a moment ago must count.
    async with read_session(resources.session_factory) as session:
        return await revoked_access_repository.is_revoked(
            session, token_id=token_id, session_id=session_id, now=_now()
        )


def _split(rows: Sequence[RevokedAccess]) -> tuple[list[tuple[str, datetime]], ...]:
    tokens = [(row.value, row.expires_at) for row in rows if row.kind == "token"]
    sessions = [(row.value, row.expires_at) for row in rows if row.kind == "session"]
    return tokens, sessions


async def copy_record_to_cache(resources: Resources, *, only_uncached: bool = False) -> bool:
    """Write the live revocations of the record into Redis: every one, then the marker;
    or (`only_uncached`) those not cached yet. False when another copy or a revocation
    in flight holds the lock: the next attempt will do it."""
    now = _now()
    async with transaction(resources.session_factory) as session:
        if not await revoked_access_repository.try_lock_for_copying(session):
            return False
        await revoked_access_repository.delete_expired(session, now)
        rows = await revoked_access_repository.list_live(session, now, only_uncached=only_uncached)
        if only_uncached and not rows:
            return True
        tokens, sessions = _split(rows)
        await resources.revocations.write(
            tokens=tokens, sessions=sessions, mark_complete=not only_uncached
        )
        await revoked_access_repository.mark_cached(session, rows)
    if not only_uncached:
        logger.info("copied %d revocations into Redis", len(rows))
    return True


async def keep_cache_complete(resources: Resources) -> None:
    complete = await resources.revocations.is_complete()
    await copy_record_to_cache(resources, only_uncached=complete)


async def revocation_cache_worker(resources: Resources) -> None:
    while True:
        try:
            await keep_cache_complete(resources)
        except Exception as error:  # Redis or Postgres down: try again next round
            raise_if_stopping(error)
            logger.warning("revocation cache check failed: %s", error)
        await asyncio.sleep(CACHE_CHECK_INTERVAL_SECONDS)
