"""How the users domain reacts to other domains' events: it owns the customer's address
book and mail, so order emails are written here, in the same transaction that records the
event as processed (a redelivered event sends no second mail)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.events import EventMeta, Subscription
from domains.kit.resources import Resources
from domains.users import events, mail
from domains.users.services.accounts import account

logger = logging.getLogger("shopgraph.users")


async def _order_mail(
    session: AsyncSession, customer_id: Any, order_id: Any, number: str
) -> mail.OrderMail | None:
    user = await account.get(session, customer_id)
    if user is None:
        # Accounts can be deleted while orders live on: nobody to write to.
        logger.info("order mail skipped: customer %s has no account", customer_id)
        return None
    return mail.OrderMail(
        recipient=user.email, name=user.name, order_id=str(order_id), number=number
    )


def subscriptions(resources: Resources) -> Sequence[Subscription[Any]]:
    settings = resources.settings

    async def order_status_changed(
        session: AsyncSession, event: events.OrderStatusChanged, meta: EventMeta
    ) -> None:
        if event.status not in ("PAID", "CANCELLED"):
            return
        if event.status == "PAID" and event.previous_status != "AWAITING_PAYMENT":
            return  # back to PAID after a failed refund: confirmed already
        order = await _order_mail(session, event.customer_id, event.order_id, event.number)
        if order is None:
            return
        if event.status == "PAID":
            await mail.enqueue_order_confirmation(
                session, settings, order, total=event.total, currency=event.currency
            )
        else:
            await mail.enqueue_order_cancelled(session, settings, order, reason=event.reason)

    async def order_lines_fulfilled(
        session: AsyncSession, event: events.OrderLinesFulfilled, meta: EventMeta
    ) -> None:
        order = await _order_mail(session, event.customer_id, event.order_id, event.number)
        if order is None:
            return
        await mail.enqueue_order_shipped(
            session,
            settings,
            order,
            tracking_number=event.tracking_number,
            items=[f"{line.quantity} x {line.product_name} ({line.sku})" for line in event.lines],
        )

    return [
        Subscription(
            events.OrderStatusChanged,
            order_status_changed,
            only=lambda event: event.status in ("PAID", "CANCELLED"),
        ),
        Subscription(events.OrderLinesFulfilled, order_lines_fulfilled),
    ]
