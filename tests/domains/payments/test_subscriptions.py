"""The payments subgraph's paymentStatusChanged against real Postgres and Redis: the
customer hears each status in commit order; another customer is refused naming it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from domains.kit.db import transaction
from domains.kit.events import Relay
from domains.kit.graphql.context import build_context
from domains.kit.resources import Resources
from domains.payments import events
from domains.payments.graphql.loaders import make_loaders
from domains.payments.graphql.schema import schema
from domains.payments.models import EVENT_TABLES, Payment
from domains.payments.providers import LocalProvider
from domains.payments.services.intents import intents
from tests.domains.orders.live_helpers import Person, customer, registered

FOLLOW = """subscription($id: ID!) {
  paymentStatusChanged(paymentId: $id) { id status capturedAmount }
}"""


async def _payment(resources: Resources, buyer: Person) -> Payment:
    async with transaction(resources.session_factory) as session:
        payment = await intents.open_for_order(
            session,
            LocalProvider(),
            events.OrderStatusChanged(
                order_id=uuid.uuid4(),
                customer_id=buyer.user_id,
                status="AWAITING_PAYMENT",
                sequence=2,
                total=1800,
                currency="EUR",
                changed_at=datetime.now(UTC),
            ),
        )
    assert payment is not None
    return payment


async def _follow(resources: Resources, who: Person, payment_id: uuid.UUID) -> Any:
    context = await build_context(None, resources, make_loaders, f"Bearer {who.token}")
    return await schema.subscribe(
        FOLLOW, variable_values={"id": str(payment_id)}, context_value=context
    )


async def test_the_customer_hears_a_decline_then_the_capture_in_order(
    resources: Resources,
) -> None:
    buyer = customer(resources)
    payment = await _payment(resources, buyer)
    stream = await _follow(resources, buyer, payment.id)
    first = asyncio.create_task(anext(stream))
    await registered(resources, "PaymentStatusChanged", 1, first)

    for succeed in (False, True):  # both committed before the relay sends either
        async with transaction(resources.session_factory) as session:
            await intents.simulate(
                session,
                LocalProvider(),
                buyer.viewer,
                payment.id,
                succeed=succeed,
                production=False,
            )
    await Relay(resources, EVENT_TABLES, producer="payments").relay_once()
    results = [await first, await anext(stream)]
    await stream.aclose()

    assert [result.errors for result in results] == [None, None]
    assert [result.data for result in results] == [
        {"paymentStatusChanged": {"id": str(payment.id), "status": status, "capturedAmount": 1800}}
        for status in ("FAILED", "SUCCEEDED")
    ]


async def test_another_customer_is_refused_naming_the_payment(resources: Resources) -> None:
    payment = await _payment(resources, customer(resources))
    stream = await _follow(resources, customer(resources), payment.id)
    result = await anext(stream)
    assert result.errors is not None
    assert result.errors[0].message == f"No payment '{payment.id}' that you may follow."
