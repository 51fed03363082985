"""checkoutComplete's bounded wait for the saga's decision.

Carts never reads the orders schema: the orders domain's OrderStatusChanged events land
in carts' own `checkouts` table (see consumers.py), whose consumer then publishes on a
Redis channel named after the checkout. The waiting request re-reads its row when that
message comes; the row, not the message, is the truth, so a message lost or sent before
the request listened costs at most one re-read interval.

The decision itself comes sooner: the orders domain broadcasts the OrderStatusChanged of
a decision as it commits (kit/events/broadcast.py), and the waiter of that order applies
it to the row itself (order_status.py, exactly as the carts consumer will when the outbox
brings it; the status sequence makes the second a no-op), then re-reads the row. That
spares the answer the orders relay's round and the carts consumer's. A broadcast lost is
only the consumer's path taken instead.

One subscription per process serves every waiting request (patterns over all checkout
channels and all order decisions), not one each: a flash sale puts a thousand checkouts
in wait at once, and a Redis connection apiece would empty the pool that everything else
needs. The listener runs while someone waits, and for LINGER_SECONDS after the last one
is answered: checkouts one after another then find it subscribed, where stopping at each
answer made every checkout pay a new subscription and the read it calls for (one round
trip to Redis and one statement on the way to each answer). It stops with the process's
resources. While it is subscribed, a row is re-read only on its message or when the
subscription is made again (a message may have been missed meanwhile); without it
(Redis away), every REREAD_SECONDS.

checkoutComplete registers its checkout before committing it (`expecting`, with the ids
it chooses): nothing about the checkout can then be said before someone listens, so the
wait's first look is the row the request just wrote, and the row is read only once
something is heard or the subscription is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts import events, order_status
from domains.carts.models import Checkout, CheckoutStatus
from domains.carts.repository import checkout_repository
from domains.kit.config import Settings
from domains.kit.db import read_session, transaction
from domains.kit.events import run_commit_hooks
from domains.kit.events.broadcast import broadcast_key, broadcast_pattern, read_broadcast
from domains.kit.events.codec import EventDecodeError
from domains.kit.redis_keys import glob_escaped
from domains.kit.resources import Resources

logger = logging.getLogger("shopgraph.carts")

# Without notifications (Redis away), the row is re-read this often. With them, only on
# a message, when the subscription is (re)made, and at the bound: a live subscription
# loses no message, and a lost one wakes every waiter.
REREAD_SECONDS = 0.5
# How long the subscription outlives its last waiter. While it lingers the process still
# hears every decision broadcast, which costs it a message each: long enough to bridge
# the gap between one shopper's checkouts, short enough to let an idle process go quiet.
LINGER_SECONDS = 10.0
_CHANNEL = "checkout:"


def channel(settings: Settings, checkout_id: uuid.UUID) -> str:
    return f"{settings.redis_key_prefix}{_CHANNEL}{checkout_id}"


def _pattern(settings: Settings) -> str:
    return f"{glob_escaped(settings.redis_key_prefix)}{_CHANNEL}*"


async def notify(resources: Resources, checkout_id: uuid.UUID) -> None:
    try:
        await resources.redis.publish(channel(resources.settings, checkout_id), b"1")
    except RedisError:
        logger.warning("could not notify checkout %s; its waiter re-reads its row", checkout_id)


class _Decisions:
    """This process's one subscription to decisions, and who waits for which."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._redis = redis
        self._settings = settings
        self._waiting: dict[uuid.UUID, set[asyncio.Event]] = {}
        # Which checkout waits for which order, and the newest decision heard for it.
        self._checkout_of: dict[uuid.UUID, uuid.UUID] = {}
        self._order_of: dict[uuid.UUID, uuid.UUID] = {}
        self._heard: dict[uuid.UUID, events.OrderStatusChanged] = {}
        self._listener: asyncio.Task[None] | None = None
        self._linger_until = 0.0  # the loop's clock
        self.subscribed = False

    def register(
        self,
        checkout_id: uuid.UUID,
        woken: asyncio.Event,
        order_id: uuid.UUID | None = None,
        *,
        listen: bool = True,
    ) -> None:
        """Wake `woken` for what is heard about the checkout. `listen=False` leaves
        starting the listener to the first wait: a checkout refused before it commits
        then neither starts nor stops a subscription."""
        self._waiting.setdefault(checkout_id, set()).add(woken)
        if order_id is not None:
            self._checkout_of[order_id] = checkout_id
            self._order_of[checkout_id] = order_id
        if listen:
            self.ensure_listening()

    def take_heard(self, checkout_id: uuid.UUID) -> events.OrderStatusChanged | None:
        """The decision broadcast for this checkout's order since last asked, if any."""
        return self._heard.pop(checkout_id, None)

    def ensure_listening(self) -> None:
        """Start the listener if it is not running (it stops when nobody waits)."""
        if self._waiting and (self._listener is None or self._listener.done()):
            self._listener = asyncio.get_running_loop().create_task(
                self._listen(), name="checkout_decisions"
            )

    def unregister(self, checkout_id: uuid.UUID, woken: asyncio.Event) -> None:
        waiting = self._waiting.get(checkout_id)
        if waiting is not None:
            waiting.discard(woken)
            if not waiting:
                del self._waiting[checkout_id]
                self._heard.pop(checkout_id, None)
                order_id = self._order_of.pop(checkout_id, None)
                if order_id is not None:
                    self._checkout_of.pop(order_id, None)
        if not self._waiting:
            self._linger_until = asyncio.get_running_loop().time() + LINGER_SECONDS

    def _wanted(self) -> bool:
        return bool(self._waiting) or asyncio.get_running_loop().time() < self._linger_until

    async def close(self) -> None:
        """Stop listening now (the process's resources are closing)."""
        listener, self._listener = self._listener, None
        self._linger_until = 0.0
        if listener is not None and not listener.done():
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    def _wake(self, checkout_id: uuid.UUID | None = None) -> None:
        targets = (
            self._waiting.values()
            if checkout_id is None
            else [self._waiting.get(checkout_id, set())]
        )
        for waiting in targets:
            for woken in waiting:
                woken.set()

    def _hear(self, order_id: str, data: object) -> None:
        """A decision broadcast: kept for the checkout waiting on that order, if any."""
        with contextlib.suppress(ValueError):
            checkout_id = self._checkout_of.get(uuid.UUID(order_id))
            if checkout_id is None:
                return  # another process's checkout, or one nobody waits for now
            try:
                decided = read_broadcast(events.OrderStatusChanged, data)
            except EventDecodeError as error:
                logger.warning("checkout decisions: unreadable broadcast (%s)", error)
                return
            heard = self._heard.get(checkout_id)
            if heard is None or decided.sequence > heard.sequence:
                self._heard[checkout_id] = decided
            self._wake(checkout_id)

    async def _listen(self) -> None:
        # Nothing is awaited between the last `_wanted()` and the end: a waiter that
        # registers after it finds this task done and starts another.
        prefix = f"{self._settings.redis_key_prefix}{_CHANNEL}"
        loop = asyncio.get_running_loop()
        while self._wanted():
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(
                    _pattern(self._settings),
                    broadcast_pattern(self._settings, events.OrderStatusChanged.name),
                )
                self.subscribed = True
                self._wake()  # a decision may have come before the subscription
                while self._wanted():
                    poll = 1.0 if self._waiting else self._linger_until - loop.time()
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=max(min(poll, 1.0), 0.01)
                    )
                    if message is None:
                        continue
                    name = message["channel"]
                    name = name.decode() if isinstance(name, bytes) else str(name)
                    order_id = broadcast_key(self._settings, events.OrderStatusChanged.name, name)
                    if order_id is not None:
                        self._hear(order_id, message["data"])
                        continue
                    with contextlib.suppress(ValueError):
                        self._wake(uuid.UUID(name.removeprefix(prefix)))
            except RedisError as error:
                if self.subscribed:
                    logger.warning("checkout decisions: subscription lost (%s)", error)
                self.subscribed = False
                self._wake()
                await asyncio.sleep(REREAD_SECONDS)
            finally:
                self.subscribed = False
                with contextlib.suppress(RedisError):
                    await pubsub.aclose()


_decisions: weakref.WeakKeyDictionary[Redis, _Decisions] = weakref.WeakKeyDictionary()


def _decisions_of(resources: Resources) -> _Decisions:
    decisions = _decisions.get(resources.redis)
    if decisions is None:
        decisions = _decisions[resources.redis] = _Decisions(resources.redis, resources.settings)
        resources.on_close(decisions.close)
    return decisions


async def _read(resources: Resources, checkout_id: uuid.UUID) -> Checkout:
    async with read_session(resources.session_factory) as session:
        checkout = await checkout_repository.get(session, checkout_id)
    assert checkout is not None
    return checkout


# What a recorded decision's commit sets off (the admission gate settling the checkout's
# units, other waiters of it woken) runs beside the answer rather than before it: two
# Redis round trips the shopper does not wait for.
_settling: set[asyncio.Task[None]] = set()


async def _apply(resources: Resources, decided: events.OrderStatusChanged) -> Checkout | None:
    """Record a broadcast decision on the checkout, as the carts consumer would; the
    checkout as committed, or None when there was nothing new to record."""
    try:
        async with transaction(resources.session_factory) as session:
            checkout = await order_status.apply(resources, session, decided)
    except Exception:  # the consumer applies it all the same
        logger.exception("checkout decisions: could not apply order %s", decided.order_id)
        return None
    settling = asyncio.create_task(_settle(session, decided.order_id))
    _settling.add(settling)
    settling.add_done_callback(_settling.discard)
    return checkout


async def _settle(session: AsyncSession, order_id: uuid.UUID) -> None:
    try:
        await run_commit_hooks(session)
    except Exception:
        logger.exception("checkout decisions: what order %s's record sets off failed", order_id)


@dataclass(frozen=True)
class Expectation:
    """A checkout registered with the decisions before the request commits it."""

    checkout_id: uuid.UUID
    order_id: uuid.UUID
    woken: asyncio.Event


@contextlib.contextmanager
def expecting(
    resources: Resources, checkout_id: uuid.UUID, order_id: uuid.UUID
) -> Iterator[Expectation]:
    """Listen for the decisions of a checkout about to be committed with these ids, for
    as long as the block runs (pass it to wait_for_decision). Registered before its
    commit, nothing said about it can come before the listening: the first look at the
    checkout is the row the request just wrote, not a read of it."""
    decisions = _decisions_of(resources)
    woken = asyncio.Event()
    # A subscription made after this (by the wait) wakes every waiter for a read, and
    # one already made hears whatever comes from now on.
    decisions.register(checkout_id, woken, order_id, listen=False)
    try:
        yield Expectation(checkout_id, order_id, woken)
    finally:
        decisions.unregister(checkout_id, woken)


async def wait_for_decision(
    resources: Resources,
    checkout_id: uuid.UUID,
    bound: timedelta,
    *,
    order_id: uuid.UUID | None = None,
    committed: tuple[Checkout, Expectation] | None = None,
) -> Checkout:
    """The checkout once it left PENDING, or as it is when `bound` has passed. With the
    `order_id`, a decision broadcast for that order is applied as soon as it is heard.
    `committed`: the checkout as this request committed it, registered beforehand
    (`expecting`); its row is read only once something is heard for it or the
    subscription is (re)made."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound.total_seconds()
    decisions = _decisions_of(resources)
    unread: Checkout | None = None
    if committed is not None and committed[1].checkout_id == checkout_id:
        unread, woken = committed[0], committed[1].woken
        registered_here = False
    else:
        woken = asyncio.Event()
        decisions.register(checkout_id, woken, order_id)
        registered_here = True
    try:
        while True:
            if unread is not None and not woken.is_set():
                decisions.ensure_listening()
                checkout = unread
            else:
                woken.clear()
                decisions.ensure_listening()
                applied = None
                if (decided := decisions.take_heard(checkout_id)) is not None:
                    applied = await _apply(resources, decided)
                # What this request just committed needs no second read.
                checkout = applied if applied is not None else await _read(resources, checkout_id)
            unread = None
            remaining = deadline - loop.time()
            if checkout.status != CheckoutStatus.PENDING.value or remaining <= 0:
                return checkout
            pause = remaining if decisions.subscribed else min(remaining, REREAD_SECONDS)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):
                    await woken.wait()
    finally:
        if registered_here:
            decisions.unregister(checkout_id, woken)
