"""Expiring unpaid orders (ORDER_PAYMENT_WINDOW, 30 minutes by default): each becomes
CANCELLED (reason EXPIRED) and its OrderCancelled gives the stock back."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from domains.kit.aio import raise_if_stopping
from domains.kit.db import read_session, transaction
from domains.kit.resources import Resources
from domains.orders.repository import order_repository
from domains.orders.service import orders

logger = logging.getLogger("shopgraph.orders")

SWEEP_INTERVAL_SECONDS = 30.0
BATCH = 100


async def expire_once(resources: Resources, *, now: datetime | None = None) -> int:
    async with read_session(resources.session_factory) as session:
        due = await order_repository.due_unpaid(session, now or datetime.now(UTC), BATCH)
    expired = 0
    for order_id in due:
        async with transaction(resources.session_factory) as session:
            expired += await orders.expire_due(session, order_id, now=now)
    return expired


async def run_order_sweeper(resources: Resources) -> None:
    while True:
        try:
            while await expire_once(resources) == BATCH:
                pass
        except Exception as error:
            raise_if_stopping(error)
            logger.exception("order expiry failed; retrying later")
        await asyncio.sleep(SWEEP_INTERVAL_SECONDS)
