"""A checkout following its order's status: the one place an OrderStatusChanged takes
effect in carts, whether the carts consumer brings it from the stream or checkoutComplete's
waiter hears it broadcast as the orders domain commits (waiter.py).

Applying is idempotent by the order's status sequence (CheckoutService.record_order_status
ignores a status no newer than the one recorded), so the two paths may race and repeat
each other: the first applies, the second finds nothing to do.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts import admission, events, waiter
from domains.carts.models import Checkout, CheckoutStatus
from domains.carts.pricing.vouchers import service as vouchers
from domains.carts.service import checkouts
from domains.kit.events import on_commit
from domains.kit.resources import Resources


async def apply(
    resources: Resources, session: AsyncSession, event: events.OrderStatusChanged
) -> Checkout | None:
    """Record `event` on its checkout in the session's transaction; the checkout as it
    now is, or None when the event was not new.
    Once committed, the commit hooks release the decided checkout's units from the
    admission gate and wake whoever waits for it."""
    checkout = await checkouts.record_order_status(session, event)
    if checkout is None:
        return None
    # The order's fate settles its vouchers' uses (a stale status never gets here).
    await vouchers.settle(session, event.order_id, event.status)
    checkout_id = checkout.id
    order_id = event.order_id
    # Once decided, the checkout leaves the saga: its units leave the gate, those of a
    # reservation once carts' view of the stock has it (admission.py).
    status = checkout.status
    variant_ids = [uuid.UUID(variant_id) for variant_id in checkout.line_ids]

    async def wake_waiters() -> None:
        if status == CheckoutStatus.PENDING.value:
            return  # the order is placed: nothing a waiter waits for, nor the gate
        redis, settings = resources.redis, resources.settings
        if status == CheckoutStatus.AWAITING_PAYMENT.value:
            await admission.settle(redis, settings, order_id, variant_ids)
        else:
            await admission.release(redis, settings, order_id, variant_ids)
        await waiter.notify(resources, checkout_id)

    on_commit(session, wake_waiters)
    return checkout
