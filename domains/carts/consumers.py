"""How the carts domain reacts to other domains' events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts import events, order_status
from domains.carts.service import offers
from domains.kit.events import EventMeta, Subscription, calling
from domains.kit.resources import Resources


def subscriptions(resources: Resources) -> Sequence[Subscription[Any]]:
    async def order_status_changed(
        session: AsyncSession, event: events.OrderStatusChanged, meta: EventMeta
    ) -> None:
        await order_status.apply(resources, session, event)

    return [
        Subscription(events.OrderStatusChanged, order_status_changed),
        Subscription(events.VariantOffersLoaded, calling(offers.record_loaded)),
        Subscription(events.VariantPriceChanged, calling(offers.record_price)),
        Subscription(events.StockLevelChanged, calling(offers.record_stock)),
    ]
