"""How a checkout's hold at the admission gate ends, driven by the events carts hears: a
decision that reserved nothing lets go at once; a reservation keeps its units counted
until carts' view of the stock has it, told by the StockLevelChanged naming the order.
The order's placing (PENDING) is no decision: it keeps the hold and wakes no waiter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from domains.carts import events, waiter
from domains.carts.admission import Gate, hold_key
from domains.carts.consumers import subscriptions
from domains.carts.models import Checkout
from domains.kit.db import transaction
from domains.kit.resources import Resources
from tests.support.event_delivery import deliver


@pytest.fixture
def variant() -> uuid.UUID:
    return uuid.uuid4()


async def _admitted_checkout(resources: Resources, variant: uuid.UUID) -> uuid.UUID:
    """A checkout let in for two units of `variant` and requested; its order id."""
    order_id = uuid.uuid4()
    async with Gate(resources.redis, resources.settings, margin=0) as gate:
        await gate.admit(order_id, {variant: 2}, {variant: 10})
    async with transaction(resources.session_factory) as session:
        await session.execute(
            insert(Checkout).values(
                id=uuid.uuid4(),
                cart_id=uuid.uuid4(),
                customer_id=uuid.uuid4(),
                idempotency_key=f"key-{order_id}",
                order_id=order_id,
                line_ids={str(variant): str(uuid.uuid4())},
            )
        )
    return order_id


async def _held(resources: Resources, variant: uuid.UUID) -> set[str]:
    raw = await resources.redis.hkeys(hold_key(resources.settings, variant))  # type: ignore[misc]
    return {key.decode() for key in raw}


def _decision(order_id: uuid.UUID, status: str) -> events.OrderStatusChanged:
    return events.OrderStatusChanged(
        order_id=order_id,
        status=status,
        sequence=2,
        reason=None if status == "AWAITING_PAYMENT" else "INSUFFICIENT_STOCK",
    )


def _stock_level(
    variant: uuid.UUID, available: int, order_id: uuid.UUID | None
) -> events.StockLevelChanged:
    return events.StockLevelChanged(
        variant_id=variant, available=available, changed_at=datetime.now(UTC), order_id=order_id
    )


async def test_a_failed_decision_lets_go_of_the_hold_at_once(
    resources: Resources, variant: uuid.UUID
) -> None:
    order_id = await _admitted_checkout(resources, variant)

    await deliver(resources, subscriptions(resources), _decision(order_id, "FAILED"))

    assert await _held(resources, variant) == set()


async def test_a_reservation_is_held_until_the_stock_view_has_it(
    resources: Resources, variant: uuid.UUID
) -> None:
    order_id = await _admitted_checkout(resources, variant)
    other = await _admitted_checkout(resources, variant)

    await deliver(resources, subscriptions(resources), _decision(order_id, "AWAITING_PAYMENT"))
    held_after_decision = await _held(resources, variant)
    # A change of the stock itself, or another order's, does not end this hold.
    await deliver(resources, subscriptions(resources), _stock_level(variant, 9, None))
    await deliver(resources, subscriptions(resources), _stock_level(variant, 8, other))
    held_after_others = await _held(resources, variant)
    await deliver(resources, subscriptions(resources), _stock_level(variant, 6, order_id))

    assert str(order_id) in held_after_decision
    assert str(order_id) in held_after_others
    assert await _held(resources, variant) == set()


async def test_a_stock_view_ahead_of_the_decision_leaves_nothing_held(
    resources: Resources, variant: uuid.UUID
) -> None:
    order_id = await _admitted_checkout(resources, variant)

    await deliver(resources, subscriptions(resources), _stock_level(variant, 8, order_id))
    await deliver(resources, subscriptions(resources), _decision(order_id, "AWAITING_PAYMENT"))

    assert await _held(resources, variant) == set()


async def test_the_orders_placing_keeps_the_hold_and_wakes_no_one(
    resources: Resources, variant: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    woken: list[uuid.UUID] = []
    notify = waiter.notify

    async def recorded(resources: Resources, checkout_id: uuid.UUID) -> None:
        woken.append(checkout_id)
        await notify(resources, checkout_id)

    monkeypatch.setattr(waiter, "notify", recorded)
    order_id = await _admitted_checkout(resources, variant)
    placed = events.OrderStatusChanged(order_id=order_id, status="PENDING", sequence=1)

    await deliver(resources, subscriptions(resources), placed)
    woken_by_placing = list(woken)
    held_after_placing = await _held(resources, variant)
    await deliver(resources, subscriptions(resources), _decision(order_id, "FAILED"))

    assert woken_by_placing == []
    assert str(order_id) in held_after_placing
    assert len(woken) == 1, "the decision wakes its waiters"
