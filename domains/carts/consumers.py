"""How the carts domain reacts to other domains' events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts import admission, events, waiter
from domains.carts.models import CheckoutStatus
from domains.carts.pricing.vouchers import service as vouchers
from domains.carts.service import checkouts, offers
from domains.kit.events import EventMeta, Subscription, calling, on_commit
from domains.kit.resources import Resources


def subscriptions(resources: Resources) -> Sequence[Subscription[Any]]:
    async def order_status_changed(
        session: AsyncSession, event: events.OrderStatusChanged, meta: EventMeta
    ) -> None:
        checkout = await checkouts.record_order_status(session, event)
        if checkout is not None:
            # The order's fate settles its vouchers' uses (a stale status never gets here).
            await vouchers.settle(session, event.order_id, event.status)
            checkout_id = checkout.id
            # Once decided, the checkout leaves the saga: its units leave the gate.
            decided = checkout.status != CheckoutStatus.PENDING.value
            variant_ids = [uuid.UUID(variant_id) for variant_id in checkout.line_ids]

            async def wake_waiter() -> None:
                if decided:
                    await admission.release(
                        resources.redis, resources.settings, checkout_id, variant_ids
                    )
                await waiter.notify(resources, checkout_id)

            on_commit(session, wake_waiter)

    return [
        Subscription(events.OrderStatusChanged, order_status_changed),
        Subscription(events.VariantOffersLoaded, calling(offers.record_loaded)),
        Subscription(events.VariantPriceChanged, calling(offers.record_price)),
        Subscription(events.StockLevelChanged, calling(offers.record_stock)),
    ]
