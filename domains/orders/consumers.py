"""How the orders domain reacts to other domains' events: the checkout saga's middle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.events import EventMeta, Subscription, calling, on_commit
from domains.kit.events.broadcast import broadcast
from domains.kit.resources import Resources
from domains.orders import events
from domains.orders.config import OrdersConfig
from domains.orders.service import orders


def subscriptions(resources: Resources) -> Sequence[Subscription[Any]]:
    config = OrdersConfig.from_env()

    def broadcast_decision(
        session: AsyncSession, decided: events.OrderStatusChanged | None
    ) -> None:
        """The checkout's decision to its waiter as soon as it commits, a relay round
        and a carts consumer round before the outbox brings it (kit/events/broadcast.py);
        the outbox still delivers it to every consumer."""
        if decided is None:
            return

        async def announce() -> None:
            await broadcast(resources.redis, resources.settings, decided, str(decided.order_id))

        on_commit(session, announce)

    async def checkout_requested(
        session: AsyncSession, event: events.CheckoutRequested, meta: EventMeta
    ) -> None:
        await orders.place(session, event, payment_window=config.payment_window)
        # Products reserves from the same event: its answer may have come first.
        broadcast_decision(session, await orders.answer_early_stock(session, event.order_id))

    async def stock_reserved(
        session: AsyncSession, event: events.StockReserved, meta: EventMeta
    ) -> None:
        broadcast_decision(session, await orders.stock_reserved(session, event))

    async def stock_reservation_failed(
        session: AsyncSession, event: events.StockReservationFailed, meta: EventMeta
    ) -> None:
        broadcast_decision(session, await orders.stock_reservation_failed(session, event))

    return [
        Subscription(events.CheckoutRequested, checkout_requested),
        Subscription(events.StockReserved, stock_reserved),
        Subscription(events.StockReservationFailed, stock_reservation_failed),
        Subscription(events.PaymentSucceeded, calling(orders.payment_succeeded)),
        Subscription(events.PaymentRefunded, calling(orders.payment_refunded)),
        Subscription(events.PaymentRefundFailed, calling(orders.payment_refund_failed)),
    ]
