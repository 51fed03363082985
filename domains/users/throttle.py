"""Throttling of sign-in, registration and password-reset requests, in Redis.

Sign-in (OWASP's authentication cheat sheet, "Protect against automated attacks"):
failures are counted per email address and per client address. Once one of them reaches
its limit within the failure window, sign-in for it is locked: first for SIGN_IN_LOCK,
then twice as long after each further failure, never longer than SIGN_IN_MAX_LOCK. A
locked sign-in is refused before the password is checked, so a right password is
refused too until the wait is over (otherwise guessing would go on through the lock),
and a refused attempt is not counted, so the owner trying again does not lengthen it.
Every lock ends by itself; the count is forgotten a failure window after the last
failure, and a successful sign-in clears the address's count at once. The client's
count is kept through a success: someone signing in to their own account between
guesses must not reset the budget of their guesses at others.

Failures are counted for any email, with an account or not, and under a hash of it, so
neither the answers nor Redis tell which emails have accounts.

Registration and password-reset requests, the two mutations that send mail to an
address, are counted per email and per client in a fixed window: at most
ACCOUNT_REQUESTS_PER_EMAIL / ACCOUNT_REQUESTS_PER_IP per ACCOUNT_REQUEST_WINDOW. Only
requests that pass validation are counted, so a mistyped form costs nothing.

The client's address is the one the gateway saw (it forwards it to subgraphs, see
domains/kit/graphql/context.py); IPv6 addresses are counted per /64, which one
subscriber usually holds whole. Without an address only the per-email limits apply.

If Redis is unavailable requests are not throttled (fail open) and a warning is logged,
as the gateway's rate limiter does: an outage of Redis must not lock every customer
out. Argon2 still makes each guess cost the attacker (and us) tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from domains.kit.errors import InputErrors
from domains.kit.resources import Resources
from domains.users.config import UsersConfig
from domains.users.errors import UserErrorCode

logger = logging.getLogger("shopgraph.users")

# KEYS: failures, lock. ARGV: window ms, limit, first lock ms, longest lock ms.
# Returns the lock this failure started, in ms (0: none).
_FAIL = """
local failures = redis.call('INCR', KEYS[1])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if failures < limit then
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local lock = math.min(tonumber(ARGV[3]) * 2 ^ math.min(failures - limit, 32), tonumber(ARGV[4]))
lock = math.floor(lock)
redis.call('SET', KEYS[2], '1', 'PX', lock)
redis.call('PEXPIRE', KEYS[1], window + lock)
return lock
"""

# KEYS: count. ARGV: window ms. Counts one request; the window starts with the first.
_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""


def too_many_attempts(wait_seconds: int) -> InputErrors:
    return InputErrors.single(
        None,
        UserErrorCode.TOO_MANY_ATTEMPTS,
        f"Too many attempts: try again in {describe_wait(wait_seconds)}.",
    )


def describe_wait(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


def client_key(ip: str | None) -> str | None:
    """What one client is counted as: its IPv4 address, or its IPv6 /64."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _Identity:
    kind: str  # "account" or "ip"
    value: str
    limit: int


class Throttle:
    def __init__(self, redis: Redis, prefix: str, config: UsersConfig) -> None:
        self._redis = redis
        self._prefix = f"{prefix}users:throttle:"
        self._config = config

    @classmethod
    def of(cls, resources: Resources) -> Throttle:
        return cls(resources.redis, resources.settings.redis_key_prefix, UsersConfig.from_env())

    # ------------------------------------------------------------------ sign-in

    def _sign_in_identities(self, email: str, ip: str | None) -> list[_Identity]:
        config = self._config
        identities = [_Identity("account", _email_key(email), config.sign_in_failures_per_account)]
        client = client_key(ip)
        if client is not None:
            identities.append(_Identity("ip", client, config.sign_in_failures_per_ip))
        return [identity for identity in identities if identity.limit > 0]

    def _keys(self, scope: str, identity: _Identity) -> tuple[str, str]:
        # One hash tag per identity: the script touches both keys of one identity, which
        # Redis Cluster allows only within one slot.
        base = f"{self._prefix}{scope}:{{{identity.kind}:{identity.value}}}"
        return f"{base}:failures", f"{base}:lock"

    async def check_sign_in(self, email: str, ip: str | None) -> None:
        """Raise TOO_MANY_ATTEMPTS while sign-in for this email or client is locked."""
        identities = self._sign_in_identities(email, ip)
        if not identities:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipeline:
                for identity in identities:
                    pipeline.pttl(self._keys("sign-in", identity)[1])
                remaining = await pipeline.execute()
        except (RedisError, OSError) as error:
            _log_unavailable(error)
            return
        wait_ms = max(int(ms) for ms in remaining)
        if wait_ms > 0:
            raise too_many_attempts(max(1, math.ceil(wait_ms / 1000)))

    async def sign_in_failed(self, email: str, ip: str | None) -> None:
        config = self._config
        window = _ms(config.sign_in_failure_window.total_seconds())
        first = _ms(config.sign_in_lock.total_seconds())
        longest = _ms(config.sign_in_max_lock.total_seconds())
        try:
            for identity in self._sign_in_identities(email, ip):
                keys = self._keys("sign-in", identity)
                await self._redis.eval(_FAIL, 2, *keys, window, identity.limit, first, longest)
        except (RedisError, OSError) as error:
            _log_unavailable(error)

    async def sign_in_succeeded(self, email: str) -> None:
        identity = _Identity("account", _email_key(email), 1)
        try:
            await self._redis.delete(*self._keys("sign-in", identity))
        except (RedisError, OSError) as error:
            _log_unavailable(error)

    # ---------------------------------------------- registration, password reset

    def _request_keys(self, email: str, ip: str | None) -> list[tuple[str, int]]:
        config = self._config
        keys = [
            (
                f"{self._prefix}account-request:account:{_email_key(email)}",
                config.account_requests_per_email,
            )
        ]
        client = client_key(ip)
        if client is not None:
            keys.append(
                (f"{self._prefix}account-request:ip:{client}", config.account_requests_per_ip)
            )
        return [(key, limit) for key, limit in keys if limit > 0]

    async def check_account_request(self, email: str, ip: str | None) -> None:
        """Raise TOO_MANY_ATTEMPTS when this email or client used up its window."""
        keys = self._request_keys(email, ip)
        if not keys:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipeline:
                for key, _ in keys:
                    pipeline.get(key)
                    pipeline.pttl(key)
                answers = await pipeline.execute()
        except (RedisError, OSError) as error:
            _log_unavailable(error)
            return
        wait_ms = 0
        for index, (_, limit) in enumerate(keys):
            count, ttl = answers[2 * index], int(answers[2 * index + 1])
            if count is not None and int(count) >= limit and ttl > 0:
                wait_ms = max(wait_ms, ttl)
        if wait_ms > 0:
            raise too_many_attempts(max(1, math.ceil(wait_ms / 1000)))

    async def account_request_made(self, email: str, ip: str | None) -> None:
        window = _ms(self._config.account_request_window.total_seconds())
        try:
            for key, _ in self._request_keys(email, ip):
                await self._redis.eval(_COUNT, 1, key, window)
        except (RedisError, OSError) as error:
            _log_unavailable(error)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


_last_unavailable_log = -math.inf


def _log_unavailable(error: Exception) -> None:
    # Once a minute is enough to notice; once a request would drown the log.
    global _last_unavailable_log
    now = time.monotonic()
    if now - _last_unavailable_log > 60:
        _last_unavailable_log = now
        logger.warning("sign-in throttling unavailable, serving without it: %s", error)
