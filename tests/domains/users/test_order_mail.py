"""Order emails: the users domain writes the customer's confirmation, shipping and
cancellation mail from the orders domain's events, once per event."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime

from domains.kit.events import Consumer, Event, encode_event, stream_key
from domains.kit.resources import Resources
from domains.orders import events as orders_events
from domains.users.consumers import subscriptions
from domains.users.models import EVENT_TABLES
from tests.domains.users.helpers import insert_user, outbox


def _status_changed(
    customer_id: uuid.UUID, status: str, *, reason: str | None = None
) -> orders_events.OrderStatusChanged:
    return orders_events.OrderStatusChanged(
        order_id=uuid.uuid4(),
        number="SG-001042",
        customer_id=customer_id,
        checkout_id=uuid.uuid4(),
        status=status,
        previous_status="AWAITING_PAYMENT",
        sequence=3,
        reason=reason,
        failed_lines=[],
        total=12_345,
        currency="EUR",
        changed_at=datetime.now(UTC),
    )


class Deliveries:
    """Hands orders events to the users consumer as the orders relay would."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.consumer = Consumer(
            resources, EVENT_TABLES, group="users", subscriptions=subscriptions(resources)
        )

    async def send(self, event: Event, event_id: uuid.UUID | None = None) -> int:
        await self.consumer.ensure_groups()
        await self.resources.redis.xadd(
            stream_key(self.resources.settings, event.name),
            {
                "id": str(event_id or uuid.uuid4()),
                "name": event.name,
                "version": str(event.version),
                "producer": "orders",
                "occurred_at": datetime.now(UTC).isoformat(),
                "payload": json.dumps(encode_event(event)),
            },
        )
        return await self.consumer.consume_once()


async def test_a_paid_order_sends_one_confirmation_however_often_the_event_arrives(
    resources: Resources,
) -> None:
    customer = await insert_user(resources, "ada@example.com", name="Ada")
    deliveries = Deliveries(resources)
    paid = _status_changed(customer, "PAID")
    event_id = uuid.uuid4()

    await deliveries.send(paid, event_id)
    await deliveries.send(paid, event_id)

    (mail,) = await outbox(resources, recipient="ada@example.com")
    assert mail.template == "order_confirmation"
    assert mail.subject == "Order SG-001042 confirmed"
    assert "123.45 EUR" in mail.body
    assert f"/account/orders/{paid.order_id}" in mail.body


async def test_an_order_paid_again_after_a_failed_refund_sends_no_second_confirmation(
    resources: Resources,
) -> None:
    customer = await insert_user(resources, "cy@example.com", name="Cy")
    deliveries = Deliveries(resources)
    paid = _status_changed(customer, "PAID")

    await deliveries.send(paid)
    await deliveries.send(dataclasses.replace(paid, previous_status="REFUNDED", sequence=5))

    (mail,) = await outbox(resources, recipient="cy@example.com")
    assert mail.template == "order_confirmation"


async def test_shipped_lines_and_a_cancellation_are_written_to_the_customer(
    resources: Resources,
) -> None:
    customer = await insert_user(resources, "bo@example.com", name="Bo")
    deliveries = Deliveries(resources)
    order_id = uuid.uuid4()

    await deliveries.send(
        orders_events.OrderLinesFulfilled(
            order_id=order_id,
            number="SG-000007",
            customer_id=customer,
            seller_id=uuid.uuid4(),
            tracking_number="1Z999AA10123456784",
            lines=[orders_events.FulfilledLine("Linen Shirt", "SHIRT-M", 2)],
        )
    )
    await deliveries.send(_status_changed(customer, "CANCELLED", reason="EXPIRED"))

    shipped, cancelled = await outbox(resources, recipient="bo@example.com")
    assert (shipped.template, shipped.subject) == ("order_shipped", "Order SG-000007: on its way")
    assert "2 x Linen Shirt (SHIRT-M)" in shipped.body
    assert "1Z999AA10123456784" in shipped.body
    assert (cancelled.template, cancelled.subject) == (
        "order_cancelled",
        "Order SG-001042 cancelled",
    )
    assert "not paid in time" in cancelled.body


async def test_other_statuses_and_unknown_customers_send_nothing(resources: Resources) -> None:
    customer = await insert_user(resources, "cy@example.com")
    deliveries = Deliveries(resources)

    handled = [
        await deliveries.send(_status_changed(customer, "AWAITING_PAYMENT")),
        await deliveries.send(_status_changed(customer, "FAILED", reason="INSUFFICIENT_STOCK")),
        await deliveries.send(_status_changed(uuid.uuid4(), "PAID")),
    ]

    assert handled == [1, 1, 1], "each event is handled and acknowledged"
    assert await outbox(resources) == []
