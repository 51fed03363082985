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
stays the truth, so a gate that admits too many costs only time. The margin covers
checkouts in flight that will fail for another reason, and with its default of 64 units
the gate stays open until more than 64 checkouts beyond a variant's stock are in flight
at once: only a rush engages it. It applies while the view shows stock, and not once it
shows none: at a sell-out the checkouts let in by the margin fail, their holds go, and a
margin counted from nothing let the next crowd in, again and again while shoppers kept
coming (`task bench:flash` measured 418 to 444 of 1,000 shoppers in the saga for 100
units). Stock released after a sell-out opens the gate again once the view has it.

A checkout's hold on a variant is one field of a Redis hash per variant (one key, so a
Lua script can count and add atomically on Redis Cluster too), named by the checkout's
order id and holding its quantity and a deadline. It is released when the request that
took it fails or is refused, when the saga's decision reaches carts and reserved nothing,
and at the deadline if neither happened (a crash between the commit and the release).

A checkout whose stock was reserved keeps its hold until the view has that reservation:
the StockLevelChanged products writes with it names the order, and the carts consumer
lets go of the hold once the view it updates is committed (`release_on_commit`). Released
at the decision instead, the reservation was counted nowhere while the event was on its
way, and the gate could let in shoppers for units already gone. The decision only
shortens such a hold's deadline (SETTLE_SECONDS), should that event never come. With
Redis away the gate stays open and the saga decides alone.
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
from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.events import StockLevelChanged
from domains.kit.config import Settings
from domains.kit.events import on_commit

logger = logging.getLogger("shopgraph.carts")

# A hold whose decision never reached carts frees its units after this long. Far above
# the saga's time to decide, even on a machine under load.
HOLD_SECONDS = 120.0
# A reserved checkout's hold frees its units after this long should the view never hear
# of the reservation: far above the time a StockLevelChanged takes to reach carts.
SETTLE_SECONDS = 30.0

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


# KEYS[1] the variant's holds (one key a script, as for Redis Cluster); ARGV: order id,
# deadline (ms). A hold still there gets the deadline if that is sooner; one released
# meanwhile stays released.
_SETTLE = """
local hold = redis.call('HGET', KEYS[1], ARGV[1])
if hold then
  local quantity, deadline = string.match(hold, '^(%d+) (%d+)$')
  if tonumber(deadline) > tonumber(ARGV[2]) then
    redis.call('HSET', KEYS[1], ARGV[1], quantity .. ' ' .. ARGV[2])
  end
end
return 0
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
        order_id: uuid.UUID,
        quantities: Mapping[uuid.UUID, int],
        available: Mapping[uuid.UUID, int | None],
    ) -> None:
        """Hold `quantities` for the checkout of `order_id`, every variant or none; raises
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
                    str(order_id),
                    quantity,
                    seen + self.margin if seen > 0 else 0,
                    int(now * 1000),
                    deadline_ms,
                )
            except RedisError as error:
                logger.warning("admission gate unavailable (%s); the saga decides alone", error)
                continue
            if int(held) < 0:
                self._admitted.append((order_id, variant_id))
            else:
                refused.append(variant_id)
        if refused:
            await self.release_admitted()
            raise AdmissionRefused(refused)

    async def release_admitted(self) -> None:
        admitted, self._admitted = self._admitted, []
        for order_id, variant_id in admitted:
            await release(self.redis, self.settings, order_id, [variant_id])


async def release(
    redis: Redis, settings: Settings, order_id: uuid.UUID, variant_ids: list[uuid.UUID]
) -> None:
    """Free the holds of the checkout of `order_id` (its request failed, its decision
    reserved nothing, or the view has its reservation). Idempotent; a release Redis
    refuses is left to the hold's deadline."""
    try:
        for variant_id in variant_ids:
            await redis.hdel(hold_key(settings, variant_id), str(order_id))
    except RedisError as error:
        logger.warning("could not release order %s at the gate (%s)", order_id, error)


async def settle(
    redis: Redis, settings: Settings, order_id: uuid.UUID, variant_ids: list[uuid.UUID]
) -> None:
    """The checkout of `order_id` has its stock reserved: its holds stay until the view
    has the reservation (StockLevelChanged naming the order), SETTLE_SECONDS at most."""
    deadline_ms = int((time.time() + SETTLE_SECONDS) * 1000)
    try:
        for variant_id in variant_ids:
            key = hold_key(settings, variant_id)
            await redis.eval(_SETTLE, 1, key, str(order_id), deadline_ms)
    except RedisError as error:
        logger.warning("could not settle order %s at the gate (%s)", order_id, error)


def release_on_commit(
    session: AsyncSession, redis: Redis, settings: Settings, stock: StockLevelChanged
) -> None:
    """The view of the stock is being brought up to `stock`: once that is committed, the
    hold of the order it names on its variant has nothing left to stand for."""
    order_id = stock.order_id
    if order_id is None:
        return

    async def let_go() -> None:
        await release(redis, settings, order_id, [stock.variant_id])

    on_commit(session, let_go)
