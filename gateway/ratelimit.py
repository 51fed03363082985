"""Rate limiting in Redis: a sliding window per API key, per user and per IP, by cost.

A first-party client (gateway/clients.py) counts as the shopper it names, or, naming none,
spends a budget of its own.

Each request spends its cost (gateway/limits/cost.py), so one listing of 100 products
weighs what 100 single-product requests do. The window slides the way Cloudflare's
does: the count of the previous fixed window, weighted by how much of it still overlaps
the sliding one, plus the current window's count. Two integers per caller and window,
one round trip, and all of a request's buckets are checked and charged in one Lua
script, so concurrent gateways never overspend and a refused request spends nothing.

If Redis fails the request is served (fail open) and the failure logged: an outage of
the limiter must not become an outage of the shop.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger("shopgraph.gateway")

_CONSUME = """
local cost = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local elapsed = tonumber(ARGV[3])
local buckets = #KEYS / 2
for i = 1, buckets do
  local current = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local previous = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  local limit = tonumber(ARGV[3 + i])
  if previous * (window - elapsed) / window + current + cost > limit then
    return {0, i, current, previous}
  end
end
for i = 1, buckets do
  redis.call('INCRBY', KEYS[2 * i - 1], cost)
  redis.call('PEXPIRE', KEYS[2 * i - 1], window * 2)
end
return {1, 0, 0, 0}
"""


@dataclass(frozen=True)
class RateLimits:
    """Cost each caller may spend per window; 0 turns a kind of bucket off."""

    window_seconds: float = 60.0
    per_ip: int = 50_000
    per_user: int = 100_000
    per_api_key: int = 500_000
    per_client: int = 500_000

    def limit(self, kind: str) -> int:
        return {
            "ip": self.per_ip,
            "user": self.per_user,
            "api_key": self.per_api_key,
            "client": self.per_client,
        }[kind]


@dataclass(frozen=True)
class Bucket:
    kind: str  # "ip", "user", "api_key" or "client"
    identity: str


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0
    bucket: Bucket | None = None
    limit: int = 0


ALLOWED = Decision(True)


class RateLimiter:
    def __init__(self, redis: Redis, prefix: str, limits: RateLimits) -> None:
        self._redis = redis
        # One hash tag for every bucket: the script reads and charges all of a request's
        # buckets (IP, user, key) atomically, which Redis Cluster allows only within one
        # slot. The price is that rate limiting is served by one node of a cluster, at one
        # script call per request.
        self._prefix = f"{prefix}gw:{{rl}}:"
        self._limits = limits
        self._script = redis.register_script(_CONSUME)
        self._last_failure_log = -math.inf

    async def consume(self, buckets: Sequence[Bucket], cost: int) -> Decision:
        buckets = [bucket for bucket in buckets if self._limits.limit(bucket.kind) > 0]
        if not buckets:
            return ALLOWED
        window_ms = int(self._limits.window_seconds * 1000)
        now_ms = int(time.time() * 1000)
        index, elapsed = divmod(now_ms, window_ms)
        keys = []
        for bucket in buckets:
            base = f"{self._prefix}{bucket.kind}:{bucket.identity}:"
            keys += [f"{base}{index}", f"{base}{index - 1}"]
        limits = [self._limits.limit(bucket.kind) for bucket in buckets]
        try:
            allowed, position, current, previous = await self._script(
                keys=keys, args=[cost, window_ms, elapsed, *limits]
            )
        except (RedisError, OSError) as error:
            self._log_failure(error)
            return ALLOWED
        if allowed:
            return ALLOWED
        limit = limits[int(position) - 1]
        wait_ms = _wait_ms(int(current), int(previous), cost, limit, window_ms, elapsed)
        return Decision(False, max(1, math.ceil(wait_ms / 1000)), buckets[int(position) - 1], limit)

    def _log_failure(self, error: Exception) -> None:
        # Once a minute is enough to notice; once a request would drown the log.
        now = time.monotonic()
        if now - self._last_failure_log > 60:
            self._last_failure_log = now
            logger.warning("rate limiter unavailable, serving without limits: %s", error)


def _wait_ms(current: int, previous: int, cost: int, limit: int, window: int, elapsed: int) -> int:
    """How long until `cost` fits under `limit` again, if nothing else is spent."""
    if cost > limit:
        return window
    to_rollover = window - elapsed
    room = limit - current - cost
    if room >= 0 and previous > 0:
        # The previous window's weight fades enough before this window ends.
        return max(0, math.ceil(to_rollover - room * window / previous))
    # After the rollover this window's count becomes the fading one.
    after = math.ceil(window * (1 - (limit - cost) / current)) if current else 0
    return to_rollover + max(0, after)
