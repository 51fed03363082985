"""Expiring abandoned guest carts (CART_GUEST_LIFETIME, 30 days by default)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from domains.carts.config import CartsConfig
from domains.carts.service import carts
from domains.kit.aio import raise_if_stopping
from domains.kit.db import transaction
from domains.kit.resources import Resources

logger = logging.getLogger("shopgraph.carts")

SWEEP_INTERVAL_SECONDS = 3600.0


async def expire_once(
    resources: Resources, config: CartsConfig, *, now: datetime | None = None
) -> int:
    async with transaction(resources.session_factory) as session:
        return await carts.expire_guest_carts(session, lifetime=config.guest_cart_lifetime, now=now)


async def run_cart_sweeper(resources: Resources) -> None:
    config = CartsConfig.from_env()
    while True:
        try:
            while await expire_once(resources, config) > 0:
                pass
        except Exception as error:
            raise_if_stopping(error)
            logger.exception("guest cart expiry failed; retrying later")
        await asyncio.sleep(SWEEP_INTERVAL_SECONDS)
