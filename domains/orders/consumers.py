"""How the orders domain reacts to other domains' events: the checkout saga's middle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.events import EventMeta, Subscription, calling
from domains.kit.resources import Resources
from domains.orders import events
from domains.orders.config import OrdersConfig
from domains.orders.service import orders


def subscriptions(resources: Resources) -> Sequence[Subscription[Any]]:
    config = OrdersConfig.from_env()

    async def checkout_requested(
        session: AsyncSession, event: events.CheckoutRequested, meta: EventMeta
    ) -> None:
        await orders.place(session, event, payment_window=config.payment_window)

    return [
        Subscription(events.CheckoutRequested, checkout_requested),
        Subscription(events.StockReserved, calling(orders.stock_reserved)),
        Subscription(events.StockReservationFailed, calling(orders.stock_reservation_failed)),
        Subscription(events.PaymentSucceeded, calling(orders.payment_succeeded)),
        Subscription(events.PaymentRefunded, calling(orders.payment_refunded)),
        Subscription(events.PaymentRefundFailed, calling(orders.payment_refund_failed)),
    ]
