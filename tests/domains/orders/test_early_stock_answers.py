"""Products reserves a checkout's stock from CheckoutRequested while orders places the
order from the same event, so products' answer may come first. It then waits for the
order, and placing the order applies it, in the same transaction, with its decision
announced as any other."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from sqlalchemy import func, select

from domains.kit.events import Event
from domains.kit.events.broadcast import broadcast_channel
from domains.kit.resources import Resources
from domains.orders import consumers, events
from domains.orders.models import EVENT_TABLES, EarlyStockAnswer, Order
from tests.domains.orders.live_helpers import customer, seller
from tests.support.event_delivery import deliver

ADDRESS = events.ShippingAddress(
    "Ada", "Lovelace", "", "Torstraße 1", "", "Berlin", "10119", "DE", "", ""
)


async def _deliver(resources: Resources, event: Event) -> None:
    await deliver(resources, consumers.subscriptions(resources), event)


def _checkout(order_id: uuid.UUID, variant: uuid.UUID, customer_id: uuid.UUID) -> Event:
    return events.CheckoutRequested(
        checkout_id=uuid.uuid4(),
        order_id=order_id,
        customer_id=customer_id,
        idempotency_key=uuid.uuid4().hex,
        lines=[events.CheckoutLine(variant, 2, None, None)],
        shipping_address=ADDRESS,
    )


def _reserved(order_id: uuid.UUID, variant: uuid.UUID, shop: uuid.UUID) -> Event:
    return events.StockReserved(
        order_id=order_id,
        lines=[
            events.ReservedLine(
                variant_id=variant,
                product_id=uuid.uuid4(),
                seller_id=shop,
                product_name="Lamp",
                sku="LAMP",
                unit_price=4000,
                currency="EUR",
                quantity=2,
                list_unit_price=4000,
                promotion_name=None,
            )
        ],
    )


async def _statuses(resources: Resources, order_id: uuid.UUID) -> list[str]:
    table = EVENT_TABLES.outbox
    async with resources.session_factory() as session:
        rows = await session.execute(
            select(table.c.payload)
            .where(table.c.name == "OrderStatusChanged")
            .order_by(table.c.position)
        )
        return [row.payload["status"] for row in rows if row.payload["order_id"] == str(order_id)]


async def _waiting_answers(resources: Resources) -> int:
    async with resources.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(EarlyStockAnswer)) or 0)


async def test_a_reservation_answered_before_the_order_is_applied_when_it_is_placed(
    resources: Resources,
) -> None:
    buyer, lamps = customer(resources), seller(resources)
    assert lamps.shop is not None
    order_id, variant = uuid.uuid4(), uuid.uuid4()
    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(
        broadcast_channel(resources.settings, "OrderStatusChanged", str(order_id))
    )
    try:
        await _deliver(resources, _reserved(order_id, variant, lamps.shop))
        waiting_before_the_order = await _waiting_answers(resources)
        await _deliver(resources, _checkout(order_id, variant, buyer.user_id))

        heard: list[Any] = []
        for _ in range(50):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message is not None:
                heard.append(json.loads(message["data"]))
                break
            await asyncio.sleep(0)
    finally:
        await pubsub.aclose()

    async with resources.session_factory() as session:
        order = await session.get(Order, order_id)
    assert waiting_before_the_order == 1
    assert order is not None
    assert order.status == "AWAITING_PAYMENT"
    assert await _statuses(resources, order_id) == ["PENDING", "AWAITING_PAYMENT"]
    assert await _waiting_answers(resources) == 0, "applied, and gone"
    assert [(m["name"], m["payload"]["status"]) for m in heard] == [
        ("OrderStatusChanged", "AWAITING_PAYMENT")
    ], "the decision is broadcast to the checkout's waiter"


async def test_a_refusal_answered_before_the_order_fails_it_when_it_is_placed(
    resources: Resources,
) -> None:
    buyer = customer(resources)
    order_id, variant = uuid.uuid4(), uuid.uuid4()

    await _deliver(
        resources,
        events.StockReservationFailed(
            order_id=order_id,
            reason="INSUFFICIENT_STOCK",
            lines=[events.ShortLine(variant_id=variant, requested=2, available=1)],
        ),
    )
    await _deliver(resources, _checkout(order_id, variant, buyer.user_id))

    async with resources.session_factory() as session:
        order = await session.get(Order, order_id)
    assert order is not None
    assert (order.status, order.failure_reason) == ("FAILED", "INSUFFICIENT_STOCK")
    assert order.failed_lines == [{"variant_id": str(variant), "requested": 2, "available": 1}]
    assert await _statuses(resources, order_id) == ["PENDING", "FAILED"]
    assert await _waiting_answers(resources) == 0
