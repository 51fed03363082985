"""How the carts domain reacts to other domains' events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts import admission, events, order_status
from domains.carts.service import offers
from domains.kit.events import EventMeta, Subscription, calling
from domains.kit.resources import Resources


def subscriptions(resources: Resources) -> Sequence[Subscription[Any]]:
    async def order_status_changed(
        session: AsyncSession, event: events.OrderStatusChanged, meta: EventMeta
    ) -> None:
        await order_status.apply(resources, session, event)

    async def stock_level_changed(
        session: AsyncSession, event: events.StockLevelChanged, meta: EventMeta
    ) -> None:
        await offers.record_stock(session, event)
        admission.release_on_commit(session, resources.redis, resources.settings, event)

    return [
        Subscription(events.OrderStatusChanged, order_status_changed),
        Subscription(events.VariantOffersLoaded, calling(offers.record_loaded)),
        Subscription(events.VariantPriceChanged, calling(offers.record_price)),
        Subscription(events.StockLevelChanged, stock_level_changed),
    ]
