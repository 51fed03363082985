"""How the payments domain reacts to the orders domain: an order awaiting payment gets
its PaymentIntent; a cancelled one gets its money back (or its intent cancelled)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.events import EventMeta, Subscription
from domains.kit.resources import Resources
from domains.payments import events
from domains.payments.config import PaymentsConfig
from domains.payments.providers import provider_for
from domains.payments.services.intents import intents


def subscriptions(resources: Resources) -> Sequence[Subscription[Any]]:
    provider = provider_for(PaymentsConfig.from_settings(resources.settings))

    async def order_status_changed(
        session: AsyncSession, event: events.OrderStatusChanged, meta: EventMeta
    ) -> None:
        if event.status == "AWAITING_PAYMENT":
            await intents.open_for_order(session, provider, event)
        elif event.status == "CANCELLED":
            await intents.order_cancelled(session, provider, event.order_id)

    return [
        Subscription(
            events.OrderStatusChanged,
            order_status_changed,
            only=lambda event: event.status in ("AWAITING_PAYMENT", "CANCELLED"),
        )
    ]
