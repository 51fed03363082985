"""How the products domain reacts to other domains' events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.cache import EntityCache
from domains.kit.events import EventMeta, Subscription, calling, on_commit
from domains.kit.resources import Resources
from domains.products import events
from domains.products.config import StockHold
from domains.products.services.order_stock import order_stock


def subscriptions(resources: Resources) -> Sequence[Subscription[Any]]:
    cache = EntityCache.from_settings(resources.redis, resources.settings)
    hold = StockHold.from_env()

    def evict_after_commit(session: AsyncSession) -> None:
        # Stock moved: the keys the service marked stale go once the commit succeeded.
        async def evict() -> None:
            await cache.invalidate_stale(session)

        on_commit(session, evict)

    async def checkout_requested(
        session: AsyncSession, event: events.CheckoutRequested, meta: EventMeta
    ) -> None:
        # Straight from carts, while orders places the order from the same event: the
        # checkout's answer does not wait for orders' round and its relay's first.
        await order_stock.reserve_for_order(
            session,
            events.OrderPlaced(
                order_id=event.order_id,
                lines=[
                    events.OrderLineRequest(variant_id=line.variant_id, quantity=line.quantity)
                    for line in event.lines
                ],
                payment_due_at=event.requested_at + hold.payment_window,
            ),
        )
        evict_after_commit(session)

    async def order_placed(
        session: AsyncSession, event: events.OrderPlaced, meta: EventMeta
    ) -> None:
        await order_stock.reserve_for_order(session, event)
        evict_after_commit(session)

    async def order_cancelled(
        session: AsyncSession, event: events.OrderCancelled, meta: EventMeta
    ) -> None:
        await order_stock.release_for_order(session, event.order_id, restock=event.restock)
        evict_after_commit(session)

    async def order_failed(
        session: AsyncSession, event: events.OrderFailed, meta: EventMeta
    ) -> None:
        await order_stock.release_for_order(session, event.order_id)
        evict_after_commit(session)

    async def payment_succeeded(
        session: AsyncSession, event: events.PaymentSucceeded, meta: EventMeta
    ) -> None:
        # Paid: the held units leave stock for good (on hand and reserved both drop).
        await order_stock.commit_for_order(session, event.order_id)
        evict_after_commit(session)

    return [
        Subscription(events.CheckoutRequested, checkout_requested),
        Subscription(events.OrderPlaced, order_placed),
        Subscription(events.OrderCancelled, order_cancelled),
        Subscription(events.OrderFailed, order_failed),
        Subscription(events.OrderDelivered, calling(order_stock.verify_purchases)),
        Subscription(events.PaymentSucceeded, payment_succeeded),
    ]
