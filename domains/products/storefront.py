"""Telling the storefront which of its cached pages a catalog change made stale.

The storefront caches product pages and listings under tags (`product:<id>`,
`products`) and drops them when its `POST /api/revalidate` is called with those tags
and the shared secret. This worker is a consumer group of its own over the products
domain's published events (a price, the stock, the reviews of a product changed) and
makes that call for each, so pages follow a change within seconds instead of when their
cache expires. It runs only when STOREFRONT_URL and STOREFRONT_REVALIDATE_SECRET are set.

The group starts at the end of the streams when it is first created: changes made
before the storefront was configured are not announced. A call is tried a few times
with a short timeout; if the storefront still cannot be reached the event stays pending
and the consumer machinery retries it later, then dead-letters it. A refusal (4xx, a
wrong secret) is logged and not retried. The group records the events it handled in
products.processed_events next to the products group, which reads other domains'
events only, so the two never share an event id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from redis.exceptions import ResponseError
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.aio import raise_if_stopping
from domains.kit.app import BackgroundWorker
from domains.kit.events import Consumer, EventMeta, Subscription
from domains.kit.events.monitor import sample_consumer_lag, sample_forever
from domains.kit.events.workers import run_together
from domains.kit.resources import Resources
from domains.products import events
from domains.products.config import StorefrontConfig
from domains.products.models import EVENT_TABLES
from domains.products.services.variants import variants

logger = logging.getLogger("shopgraph.storefront")

GROUP = "storefront-revalidation"
SECRET_HEADER = "x-revalidate-secret"  # noqa: S105 - a header name
LISTINGS_TAG = "products"
TIMEOUT_SECONDS = 3.0
# Pauses between the attempts of one call; a call is made len(BACKOFF_SECONDS) + 1 times.
BACKOFF_SECONDS = (0.25, 1.0)


class RevalidationFailed(Exception):
    """The storefront could not be reached, or answered with a server error."""


def product_tags(product_ids: Sequence[uuid.UUID]) -> list[str]:
    """A product's page and every listing (which shows its price, stock and rating)."""
    return [*(f"product:{product_id}" for product_id in sorted(set(product_ids))), LISTINGS_TAG]


class Revalidator:
    def __init__(self, config: StorefrontConfig, client: httpx.AsyncClient) -> None:
        assert config.secret is not None
        self._url = config.revalidate_url
        self._headers = {SECRET_HEADER: config.secret}
        self._client = client

    async def revalidate(self, tags: list[str]) -> None:
        failure = ""
        for attempt in range(len(BACKOFF_SECONDS) + 1):
            if attempt:
                await asyncio.sleep(BACKOFF_SECONDS[attempt - 1])
            try:
                response = await self._client.post(
                    self._url, json={"tags": tags}, headers=self._headers
                )
            except httpx.HTTPError as error:
                failure = f"{type(error).__name__}: {error}"
                continue
            if response.is_success:
                return
            if response.is_client_error and response.status_code not in (408, 429):
                logger.error(
                    "the storefront refused to revalidate %s: HTTP %d (check "
                    "STOREFRONT_REVALIDATE_SECRET on both sides)",
                    tags,
                    response.status_code,
                )
                return
            failure = f"HTTP {response.status_code}"
        raise RevalidationFailed(f"revalidating {tags} at {self._url} failed: {failure}")


def subscriptions(revalidator: Revalidator) -> list[Subscription[Any]]:
    async def product_changed(
        session: AsyncSession,
        event: events.VariantPriceChanged | events.ReviewPublished | events.ReviewRemoved,
        meta: EventMeta,
    ) -> None:
        await revalidator.revalidate(product_tags([event.product_id]))

    async def stock_changed(
        session: AsyncSession, event: events.StockLevelChanged, meta: EventMeta
    ) -> None:
        found = await variants.get_by_ids(session, [event.variant_id])
        await revalidator.revalidate(product_tags([variant.product_id for variant in found]))

    async def offers_loaded(
        session: AsyncSession, event: events.VariantOffersLoaded, meta: EventMeta
    ) -> None:
        await revalidator.revalidate([LISTINGS_TAG])

    return [
        Subscription(events.VariantPriceChanged, product_changed),
        Subscription(events.StockLevelChanged, stock_changed),
        Subscription(events.ReviewPublished, product_changed),
        Subscription(events.ReviewRemoved, product_changed),
        Subscription(events.VariantOffersLoaded, offers_loaded),
    ]


async def start_at_the_end(resources: Resources, consumer: Consumer) -> None:
    """Create the group at the streams' ends (an existing group keeps its place); while
    Redis is away, try again every second."""
    while True:
        try:
            for stream in consumer.streams:
                try:
                    await resources.redis.xgroup_create(
                        stream, consumer.group, id="$", mkstream=True
                    )
                except ResponseError as error:
                    if "BUSYGROUP" not in str(error):
                        raise
            return
        except Exception as error:
            raise_if_stopping(error)
            logger.exception("storefront revalidation: creating the consumer group failed")
            await asyncio.sleep(1.0)


def revalidation_worker() -> BackgroundWorker:
    async def storefront_revalidation(resources: Resources) -> None:
        config = StorefrontConfig.from_env()
        if not config.enabled:
            logger.info("storefront revalidation off: STOREFRONT_URL is not set")
            return
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            consumer = Consumer(
                resources,
                EVENT_TABLES,
                group=GROUP,
                subscriptions=subscriptions(Revalidator(config, client)),
            )
            await start_at_the_end(resources, consumer)

            async def sample() -> None:
                await sample_consumer_lag(
                    resources, service=GROUP, group=GROUP, streams=consumer.streams
                )

            logger.info("storefront revalidation: %s", config.revalidate_url)
            await run_together(consumer.run(), sample_forever(f"{GROUP} consumer", sample))

    return storefront_revalidation
