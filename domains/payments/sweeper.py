"""Deleting parked webhook events that never found their payment.

An event for an intent with no payment row yet is parked (PENDING) and applied when the
row is written. One whose row never comes (an intent made outside this platform, or for
a payment that was never recorded) would stay forever: after PAYMENTS_PARKED_WEBHOOK_TTL
(7 days by default) it is deleted, and the count is logged.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from domains.kit.aio import raise_if_stopping
from domains.kit.db import transaction
from domains.kit.resources import Resources
from domains.payments.config import PaymentsConfig
from domains.payments.repository import webhook_repository

logger = logging.getLogger("shopgraph.payments")

SWEEP_INTERVAL_SECONDS = 3600.0
# A round that takes longer than this (a locked table) gives up until the next one.
SWEEP_TIMEOUT_SECONDS = 60.0


async def sweep_parked_webhooks(
    resources: Resources, ttl: timedelta, *, now: datetime | None = None
) -> int:
    """Delete events parked for longer than `ttl`; how many were deleted."""
    cutoff = (now or datetime.now(UTC)) - ttl
    async with transaction(resources.session_factory) as session:
        deleted = await webhook_repository.delete_parked_before(session, cutoff)
    if deleted:
        logger.info(
            "deleted %d parked webhook events older than %s (PAYMENTS_PARKED_WEBHOOK_TTL)",
            deleted,
            ttl,
        )
    return deleted


async def run_parked_webhook_sweeper(
    resources: Resources, interval: float = SWEEP_INTERVAL_SECONDS
) -> None:
    ttl = PaymentsConfig.from_settings(resources.settings).parked_webhook_ttl
    while True:
        try:
            async with asyncio.timeout(SWEEP_TIMEOUT_SECONDS):
                await sweep_parked_webhooks(resources, ttl)
        except Exception as error:  # outlive a failed round (database restart)
            raise_if_stopping(error)
            logger.exception("parked webhook sweep failed; retrying in %.0fs", interval)
        await asyncio.sleep(interval)
