"""The products domain's timers: releasing stock held by checkouts that never finished,
and announcing promotions that start or end by the clock.

A reservation holds units until its order is paid (commit) or cancelled (release); one
whose hold lapsed gives its units back here. Several processes may sweep at once: the
release claims an order's held rows with one conditional UPDATE, so each unit is given
back once whoever gets there first.

A promotion's start and end change what variants sell for without any write: the
sweeper publishes VariantPriceChanged for its scope once per boundary (carts' offers and
the storefront's pages follow), one promotion per transaction, under its row lock with
SKIP LOCKED, moving `announced_state` in the transaction that writes the events. Reads
never wait for it: they decide which promotions are live at the moment of the read.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from domains.kit.aio import raise_if_stopping
from domains.kit.cache import EntityCache
from domains.kit.db import read_session, transaction
from domains.kit.resources import Resources
from domains.products.services.promotions import promotions
from domains.products.services.stock import stock

logger = logging.getLogger("shopgraph.products")

SWEEP_INTERVAL_SECONDS = 30.0
BATCH = 100


async def sweep_once(resources: Resources, *, now: datetime | None = None) -> int:
    """Release the lapsed holds of up to one batch of orders; how many were released."""
    cache = EntityCache.from_settings(resources.redis, resources.settings)
    async with read_session(resources.session_factory) as session:
        order_ids = await stock.expired_orders(session, now=now, limit=BATCH)
    released = 0
    for order_id in order_ids:
        # One order per unit of work: a checkout paying for it meanwhile wins, and the
        # release finds nothing left to give back.
        async with transaction(resources.session_factory) as session:
            rows = await stock.release(session, order_id)
        await cache.invalidate_stale(session)
        released += bool(rows)
    return released


async def announce_promotions_once(resources: Resources, *, now: datetime | None = None) -> int:
    """Announce up to one batch of promotion starts and ends due by `now`; how many."""
    moment = now or datetime.now(UTC)
    async with read_session(resources.session_factory) as session:
        due = await promotions.due_boundaries(session, moment, limit=BATCH)
    announced = 0
    for promotion_id in due:
        async with transaction(resources.session_factory) as session:
            announced += await promotions.announce_boundary(session, promotion_id, moment)
    return announced


async def run_reservation_sweeper(
    resources: Resources, interval: float = SWEEP_INTERVAL_SECONDS
) -> None:
    while True:
        try:
            while await sweep_once(resources) == BATCH:  # a backlog: keep going
                pass
            while await announce_promotions_once(resources) == BATCH:
                pass
        except Exception as error:  # the sweeper must outlive a failed round (database restart)
            raise_if_stopping(error)
            logger.exception("reservation sweep failed; retrying in %.0fs", interval)
        await asyncio.sleep(interval)
