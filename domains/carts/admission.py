"""The checkout admission gate: a flash sale's shoppers beyond what the stock can serve
are refused at the door instead of after a trip through the saga.

Measured on two cores (bench/flash.py), the saga decides 20-30 checkouts a second, and
the hot inventory row is not what limits it: a reservation's commit takes about a
millisecond and lock waits stay near zero. The limit is the work each checkout costs in
every domain, so a thousand shoppers racing for a hundred units wait tens of seconds for
an answer most of them could have had at once. The gate lets into the saga, per variant,
at most the units the carts domain last saw available (its `variant_offers` view, fed
by StockLevelChanged) plus a margin, counting the checkouts already in the saga; the
rest are refused INSUFFICIENT_STOCK without an order.

Correctness never depends on the gate: the products domain's all-or-nothing reservation
stays the truth, so a gate that admits too many costs only time. The margin covers what
the view cannot know yet (stock released a moment ago, checkouts in flight that will fail
for another reason), and with its default of 64 units the gate stays open until more
than 64 checkouts beyond a variant's stock are in flight at once: only a rush engages it.

A checkout's hold on a variant is one field of a Redis hash per variant (one key, so a
Lua script can count and add atomically on Redis Cluster too), holding its quantity and
a deadline. It is released when the saga's decision reaches carts, when the request that
took it fails or is refused, and at the deadline if neither happened (a crash between the
commit and the release). With Redis away the gate stays open and the saga decides alone.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType

from redis.asyncio import Redis
from redis.exceptions import RedisError

from domains.kit.config import Settings

logger = logging.getLogger("shopgraph.carts")

# A hold whose decision never reached carts frees its units after this long. Far above
# the saga's time to decide, even on a machine under load.
HOLD_SECONDS = 120.0

# KEYS[1] the variant's holds; ARGV: checkout id, quantity, limit, now (ms), deadline (ms).
# Returns -1 when admitted, else the units already held (the refusal).
_ADMIT = """
local holds = redis.call('HGETALL', KEYS[1])
local now = tonumber(ARGV[4])
local held = 0
for index = 1, #holds, 2 do
  local quantity, deadline = string.match(holds[index + 1], '^(%d+) (%d+)$')
  if tonumber(deadline) <= now then
    redis.call('HDEL', KEYS[1], holds[index])
  elseif holds[index] ~= ARGV[1] then
    held = held + tonumber(quantity)
  end
end
if held + tonumber(ARGV[2]) > tonumber(ARGV[3]) then
  return held
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. ARGV[5])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) - now then
  redis.call('PEXPIREAT', KEYS[1], ARGV[5])
end
return -1
"""


def hold_key(settings: Settings, variant_id: uuid.UUID) -> str:
    return f"{settings.redis_key_prefix}carts:admission:{variant_id}"


class AdmissionRefused(Exception):
    """More units of these variants are already in the saga than their stock and the
    margin allow."""

    def __init__(self, variant_ids: list[uuid.UUID]) -> None:
        super().__init__(f"no admission for {', '.join(map(str, variant_ids))}")
        self.variant_ids = variant_ids


@dataclass
class Gate:
    """One checkout request's pass through the gate, used as an async context manager
    around the request's transaction: leaving it by an exception (a refusal, a failed
    commit) releases what it admitted, so nothing of a refused request stays in Redis."""

    redis: Redis
    settings: Settings
    margin: int | None  # None: the gate is off
    _admitted: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)

    async def __aenter__(self) -> Gate:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is not None:
            await self.release_admitted()

    async def admit(
        self,
        checkout_id: uuid.UUID,
        quantities: Mapping[uuid.UUID, int],
        available: Mapping[uuid.UUID, int | None],
    ) -> None:
        """Hold `quantities` for the checkout, every variant or none; raises
        AdmissionRefused naming the variants past their limit. A variant whose stock the
        view does not know yet is not held: the saga alone decides it."""
        if self.margin is None:
            return
        now = time.time()
        deadline_ms = int((now + HOLD_SECONDS) * 1000)
        refused: list[uuid.UUID] = []
        for variant_id, quantity in sorted(quantities.items()):
            seen = available.get(variant_id)
            if seen is None:
                continue
            try:
                held = await self.redis.eval(
                    _ADMIT,
                    1,
                    hold_key(self.settings, variant_id),
                    str(checkout_id),
                    quantity,
                    max(seen, 0) + self.margin,
                    int(now * 1000),
                    deadline_ms,
                )
            except RedisError as error:
                logger.warning("admission gate unavailable (%s); the saga decides alone", error)
                continue
            if int(held) < 0:
                self._admitted.append((checkout_id, variant_id))
            else:
                refused.append(variant_id)
        if refused:
            await self.release_admitted()
            raise AdmissionRefused(refused)

    async def release_admitted(self) -> None:
        admitted, self._admitted = self._admitted, []
        for checkout_id, variant_id in admitted:
            await release(self.redis, self.settings, checkout_id, [variant_id])


async def release(
    redis: Redis, settings: Settings, checkout_id: uuid.UUID, variant_ids: list[uuid.UUID]
) -> None:
    """Free a checkout's holds (its decision arrived, or its request failed). Idempotent;
    a release Redis refuses is left to the hold's deadline."""
    try:
        for variant_id in variant_ids:
            await redis.hdel(hold_key(settings, variant_id), str(checkout_id))
    except RedisError as error:
        logger.warning("could not release checkout %s at the gate (%s)", checkout_id, error)
