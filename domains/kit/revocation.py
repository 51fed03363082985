"""Revoking access tokens before they expire.

Access tokens are verified with the public key alone, so revoking one means remembering
it until it would have expired anyway. Two things can be revoked, each a Redis key with
that lifetime: one token, and one sign-in session (a refresh token family, named by the
token's `sid` claim: sign-out, a replayed refresh token, a password change or reset).
One MGET checks both (on Redis Cluster the two keys may sit on different nodes and
are read per slot: see redis_keys.py).

If Redis is unreachable the check lets the token through and logs a warning: the token
is still signature-checked and short-lived, and an outage of the cache must not sign
everybody out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

from domains.kit.auth import Viewer
from domains.kit.redis_keys import get_many

logger = logging.getLogger("shopgraph.auth")


class TokenRevocations:
    def __init__(self, redis: Redis, prefix: str, access_token_lifetime: timedelta) -> None:
        self._redis = redis
        self._prefix = prefix
        self._lifetime = int(access_token_lifetime.total_seconds())

    def token_key(self, token_id: str) -> str:
        return f"{self._prefix}revoked:token:{token_id}"

    def session_key(self, session_id: str) -> str:
        return f"{self._prefix}revoked:session:{session_id}"

    async def is_revoked(self, viewer: Viewer) -> bool:
        if viewer.token_id is None:
            return False
        keys = [self.token_key(viewer.token_id), self.session_key(viewer.session_id or "-")]
        try:
            token, session = await get_many(self._redis, keys)
        except RedisError as error:
            logger.warning("token revocation check skipped, Redis unavailable: %s", error)
            return False
        return token is not None or session is not None

    async def revoke_token(self, token_id: str, expires_at: datetime) -> None:
        ttl = int((expires_at - datetime.now(UTC)).total_seconds())
        if ttl > 0:
            await self._redis.set(self.token_key(token_id), b"1", ex=ttl)

    async def revoke_sessions(self, session_ids: Iterable[object]) -> None:
        keys = [self.session_key(str(session_id)) for session_id in session_ids]
        if keys:
            async with self._redis.pipeline(transaction=False) as pipeline:
                for key in keys:
                    pipeline.set(key, b"1", ex=self._lifetime)
                await pipeline.execute()
