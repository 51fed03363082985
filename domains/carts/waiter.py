"""checkoutComplete's bounded wait for the saga's decision.

Carts never reads the orders schema: the orders domain's OrderStatusChanged events land
in carts' own `checkouts` table (see consumers.py), whose consumer then publishes on a
Redis channel named after the checkout. The waiting request listens on that channel and
re-reads its row on each message; the row, not the message, is the truth, so a message
lost or sent before the request listened costs at most one re-read interval.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from redis.exceptions import RedisError

from domains.carts.models import Checkout, CheckoutStatus
from domains.carts.repository import checkout_repository
from domains.kit.config import Settings
from domains.kit.db import read_session
from domains.kit.resources import Resources

logger = logging.getLogger("shopgraph.carts")

# Without a message (Redis away, a message missed), the row is re-read this often.
REREAD_SECONDS = 0.5


def channel(settings: Settings, checkout_id: uuid.UUID) -> str:
    return f"{settings.redis_key_prefix}checkout:{checkout_id}"


async def notify(resources: Resources, checkout_id: uuid.UUID) -> None:
    try:
        await resources.redis.publish(channel(resources.settings, checkout_id), b"1")
    except RedisError:
        logger.warning("could not notify checkout %s; its waiter re-reads its row", checkout_id)


async def _read(resources: Resources, checkout_id: uuid.UUID) -> Checkout:
    async with read_session(resources.session_factory) as session:
        checkout = await checkout_repository.get(session, checkout_id)
    assert checkout is not None
    return checkout


async def wait_for_decision(
    resources: Resources, checkout_id: uuid.UUID, bound: timedelta
) -> Checkout:
    """The checkout once it left PENDING, or as it is when `bound` has passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound.total_seconds()
    pubsub = resources.redis.pubsub()
    subscribed = False
    try:
        try:
            await pubsub.subscribe(channel(resources.settings, checkout_id))
            subscribed = True
        except RedisError:
            logger.warning("checkout %s: waiting without notifications", checkout_id)
        while True:
            checkout = await _read(resources, checkout_id)
            remaining = deadline - loop.time()
            if checkout.status != CheckoutStatus.PENDING.value or remaining <= 0:
                return checkout
            pause = min(remaining, REREAD_SECONDS)
            if subscribed:
                try:
                    await pubsub.get_message(ignore_subscribe_messages=True, timeout=pause)
                    continue
                except RedisError:
                    subscribed = False
            await asyncio.sleep(pause)
    finally:
        try:
            if subscribed:
                await pubsub.unsubscribe()
            await pubsub.aclose()
        except RedisError:
            pass
