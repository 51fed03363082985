"""Releasing stock held by checkouts that never finished.

A reservation holds units until its order is paid (commit) or cancelled (release); one
whose hold lapsed gives its units back here. Several processes may sweep at once: the
release claims an order's held rows with one conditional UPDATE, so each unit is given
back once whoever gets there first.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from domains.kit.aio import raise_if_stopping
from domains.kit.cache import EntityCache
from domains.kit.db import read_session, transaction
from domains.kit.resources import Resources
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


async def run_reservation_sweeper(
    resources: Resources, interval: float = SWEEP_INTERVAL_SECONDS
) -> None:
    while True:
        try:
            while await sweep_once(resources) == BATCH:  # a backlog: keep going
                pass
        except Exception as error:  # the sweeper must outlive a failed round (database restart)
            raise_if_stopping(error)
            logger.exception("reservation sweep failed; retrying in %.0fs", interval)
        await asyncio.sleep(interval)
