"""Revoking access tokens before they expire, and checking on every request.

Access tokens are verified with the public key alone, so revoking one means remembering
it until it would have expired anyway. Two things can be revoked: one token (its `jti`)
and one sign-in session (a refresh token family, named by the token's `sid` claim:
sign-out, a replayed refresh token, a password change or reset).

Where revocations live:

- The record is Postgres, in the users domain (`users.revoked_access`), written in the
  same transaction as the sign-out or password change that caused it. It outlives any
  Redis restart.
- Redis is the cache every subgraph reads: one key per revoked token or session, each
  expiring when the tokens it stops would have, plus a marker saying "this Redis holds
  every revocation of the record". The users domain sets the marker after copying the
  record into Redis, and copies it again whenever the marker is gone (a restart that
  lost the data, a flush, an eviction): on the request that notices and from a worker
  polling every couple of seconds (domains/users/revocations.py). All these keys share
  one hash tag, so on Redis Cluster they sit on one node and are lost together with the
  marker that vouches for them.
- A revocation is written to Redis before its transaction commits, and a sign-out,
  password change or reset that cannot reach Redis fails with `TOKEN_CHECK_UNAVAILABLE`
  and writes nothing. Committing it to Postgres alone would leave a gap: a Redis that
  kept its data through a partition still carries the marker, so other subgraphs, which
  cannot read the users schema, would trust it without the new revocation. The one
  exception is a replayed refresh token, whose revocation must stick: it commits with
  the row marked not cached, and the users worker copies it into Redis once it answers.

The check on each request is one MGET of three keys: the token's, its session's and the
marker. Its verdict:

- REVOKED: refused everywhere.
- VALID: the marker is there and neither key is.
- UNAVAILABLE (Redis unreachable): nobody accepts the token blindly. The users subgraph
  answers from its Postgres record; every other subgraph refuses fields that need the
  viewer with `TOKEN_CHECK_UNAVAILABLE`, a retryable error, while anonymous reads keep
  working. An outage of the cache can deny signed-in requests for its length; it cannot
  bring a revoked, stolen or pre-password-change token back to life.
- INCOMPLETE (Redis answers without the marker): the users subgraph answers from
  Postgres and copies the record back (at once, and from its worker every few seconds).
  Other subgraphs refuse fields that need the viewer with `TOKEN_CHECK_UNAVAILABLE`
  until the copy lands: Redis that lost its data cannot vouch for a token, and accepting
  it would let one revoked before the loss pass. The price is signed-in requests refused
  for those few seconds after Redis comes back empty, on top of the outage itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import Enum

from redis.asyncio import Redis
from redis.exceptions import RedisError

from domains.kit.auth import Viewer
from domains.kit.errors import AuthenticationRequired, DomainError
from domains.kit.redis_keys import get_many

logger = logging.getLogger("shopgraph.auth")

# One slot on Redis Cluster for every revocation key and the marker (see above).
REVOCATIONS_TAG = "{revoked}"


class Verdict(Enum):
    VALID = "valid"
    REVOKED = "revoked"
    UNAVAILABLE = "unavailable"
    INCOMPLETE = "incomplete"


class TokenCheckUnavailable(AuthenticationRequired):
    """Raised where the viewer is needed but Redis could not say whether the token was
    revoked: a subgraph without the revocation record refuses rather than guess."""

    code = "TOKEN_CHECK_UNAVAILABLE"

    def __init__(
        self,
        message: str = (
            "Signed-in requests are unavailable for a moment: the check for revoked "
            "tokens cannot be made. Try again shortly."
        ),
    ) -> None:
        super().__init__(message)


class RevocationUnavailable(DomainError):
    """A sign-out or password change could not record its revocations: nothing changed."""

    code = "TOKEN_CHECK_UNAVAILABLE"


class TokenRevocations:
    def __init__(self, redis: Redis, prefix: str, access_token_lifetime: timedelta) -> None:
        self._redis = redis
        self._prefix = prefix
        self.lifetime = access_token_lifetime

    def token_key(self, token_id: str) -> str:
        return f"{self._prefix}revoked:{REVOCATIONS_TAG}:token:{token_id}"

    def session_key(self, session_id: str) -> str:
        return f"{self._prefix}revoked:{REVOCATIONS_TAG}:session:{session_id}"

    @property
    def complete_key(self) -> str:
        return f"{self._prefix}revoked:{REVOCATIONS_TAG}:complete"

    async def check(self, viewer: Viewer) -> Verdict:
        if viewer.token_id is None:
            return Verdict.VALID
        keys = [
            self.token_key(viewer.token_id),
            self.session_key(viewer.session_id or "-"),
            self.complete_key,
        ]
        try:
            token, session, complete = await get_many(self._redis, keys)
        except RedisError as error:
            logger.warning("token revocation check unavailable, Redis unreachable: %s", error)
            return Verdict.UNAVAILABLE
        if token is not None or session is not None:
            return Verdict.REVOKED
        return Verdict.VALID if complete is not None else Verdict.INCOMPLETE

    async def is_revoked(self, viewer: Viewer) -> bool:
        """For callers without the record: raises TokenCheckUnavailable when Redis is down
        or cannot vouch for the whole record (it lost its data and the users domain has not
        copied the record back yet)."""
        verdict = await self.check(viewer)
        if verdict in (Verdict.UNAVAILABLE, Verdict.INCOMPLETE):
            raise TokenCheckUnavailable()
        return verdict is Verdict.REVOKED

    async def write(
        self,
        *,
        tokens: Iterable[tuple[str, datetime]] = (),
        sessions: Iterable[tuple[str, datetime]] = (),
        mark_complete: bool = False,
    ) -> None:
        """Set each revocation until its expiry, in one round trip; raises RedisError.

        With `mark_complete`, the marker is set last, on the same connection: when it is
        there, every key before it is too.
        """
        now = datetime.now(UTC)
        entries = [(self.token_key(token_id), at) for token_id, at in tokens]
        entries += [(self.session_key(str(session_id)), at) for session_id, at in sessions]
        live = [(key, int((at - now).total_seconds())) for key, at in entries]
        live = [(key, ttl) for key, ttl in live if ttl > 0]
        if not live and not mark_complete:
            return
        async with self._redis.pipeline(transaction=False) as pipeline:
            for key, ttl in live:
                pipeline.set(key, b"1", ex=ttl)
            if mark_complete:
                pipeline.set(self.complete_key, b"1")
            await pipeline.execute()

    async def revoke_token(self, token_id: str, expires_at: datetime) -> None:
        await self.write(tokens=[(token_id, expires_at)])

    async def revoke_sessions(self, session_ids: Iterable[object]) -> None:
        until = datetime.now(UTC) + self.lifetime
        await self.write(sessions=[(str(session_id), until) for session_id in session_ids])

    async def is_complete(self) -> bool:
        """Whether the marker is there; raises RedisError."""
        return bool(await self._redis.exists(self.complete_key))
