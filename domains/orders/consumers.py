"""How the orders domain reacts to other domains' events: the checkout saga's middle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.events import EventMeta, Subscription
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

    async def stock_reserved(
        session: AsyncSession, event: events.StockReserved, meta: EventMeta
    ) -> None:
        await orders.stock_reserved(session, event)

    async def stock_reservation_failed(
        session: AsyncSession, event: events.StockReservationFailed, meta: EventMeta
    ) -> None:
        await orders.stock_reservation_failed(session, event)

    async def payment_succeeded(
        session: AsyncSession, event: events.PaymentSucceeded, meta: EventMeta
    ) -> None:
        await orders.payment_succeeded(session, event)

    async def payment_refunded(
        session: AsyncSession, event: events.PaymentRefunded, meta: EventMeta
    ) -> None:
        await orders.payment_refunded(session, event)

    async def payment_refund_failed(
        session: AsyncSession, event: events.PaymentRefundFailed, meta: EventMeta
    ) -> None:
        await orders.payment_refund_failed(session, event)

    return [
        Subscription(events.CheckoutRequested, checkout_requested),
        Subscription(events.StockReserved, stock_reserved),
        Subscription(events.StockReservationFailed, stock_reservation_failed),
        Subscription(events.PaymentSucceeded, payment_succeeded),
        Subscription(events.PaymentRefunded, payment_refunded),
        Subscription(events.PaymentRefundFailed, payment_refund_failed),
    ]
