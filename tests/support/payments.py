"""A payment opened the way the saga opens one (its order AWAITING_PAYMENT), for the
payments tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from domains.kit.db import transaction
from domains.kit.resources import Resources
from domains.payments import events
from domains.payments.models import Payment
from domains.payments.providers import StripeProvider
from domains.payments.services.intents import intents

ORDER_TOTAL = 3400


def awaiting_payment(order_id: uuid.UUID, customer_id: uuid.UUID) -> events.OrderStatusChanged:
    return events.OrderStatusChanged(
        order_id=order_id,
        customer_id=customer_id,
        status="AWAITING_PAYMENT",
        sequence=2,
        total=ORDER_TOTAL,
        currency="USD",
        changed_at=datetime.now(UTC),
    )


async def open_payment(
    resources: Resources, provider: StripeProvider, order_id: uuid.UUID | None = None
) -> Payment:
    async with transaction(resources.session_factory) as session:
        payment = await intents.open_for_order(
            session, provider, awaiting_payment(order_id or uuid.uuid4(), uuid.uuid4())
        )
    assert payment is not None
    return payment
