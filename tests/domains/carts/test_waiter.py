"""checkoutComplete's wait for the saga's decision: one Redis subscription per process
however many checkouts wait, each woken by its own decision, and the row as the truth
when a message is lost."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import insert, update

from domains.carts import waiter
from domains.carts.models import Checkout, CheckoutStatus
from domains.kit.db import transaction
from domains.kit.resources import Resources


async def _pending_checkouts(resources: Resources, count: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    async with transaction(resources.session_factory) as session:
        await session.execute(
            insert(Checkout),
            [
                {
                    "id": checkout_id,
                    "cart_id": uuid.uuid4(),
                    "customer_id": uuid.uuid4(),
                    "idempotency_key": f"key-{checkout_id}",
                    "order_id": uuid.uuid4(),
                }
                for checkout_id in ids
            ],
        )
    return ids


async def _decide(resources: Resources, checkout_id: uuid.UUID, *, tell: bool) -> None:
    async with transaction(resources.session_factory) as session:
        await session.execute(
            update(Checkout)
            .where(Checkout.id == checkout_id)
            .values(status=CheckoutStatus.AWAITING_PAYMENT.value, status_sequence=2)
        )
    if tell:
        await waiter.notify(resources, checkout_id)


async def _patterns(resources: Resources) -> int:
    return int(await resources.redis.execute_command("PUBSUB", "NUMPAT"))


async def test_many_waiting_checkouts_share_one_subscription(resources: Resources) -> None:
    ids = await _pending_checkouts(resources, 60)
    before = await _patterns(resources)
    waits = [
        asyncio.create_task(waiter.wait_for_decision(resources, checkout_id, timedelta(seconds=20)))
        for checkout_id in ids
    ]
    for _ in range(100):  # until the one listener has subscribed
        if await _patterns(resources) > before:
            break
        await asyncio.sleep(0.02)
    subscriptions_while_waiting = await _patterns(resources) - before

    for checkout_id in ids:
        await _decide(resources, checkout_id, tell=True)
    decided = await asyncio.gather(*waits)

    assert subscriptions_while_waiting == 1
    assert {checkout.status for checkout in decided} == {"AWAITING_PAYMENT"}
    assert [checkout.id for checkout in decided] == ids


async def test_each_waiter_wakes_for_its_own_decision_only(resources: Resources) -> None:
    first, second = await _pending_checkouts(resources, 2)
    waiting_first = asyncio.create_task(
        waiter.wait_for_decision(resources, first, timedelta(seconds=20))
    )
    waiting_second = asyncio.create_task(
        waiter.wait_for_decision(resources, second, timedelta(seconds=1))
    )

    await _decide(resources, first, tell=True)

    assert (await waiting_first).status == "AWAITING_PAYMENT"
    assert (await waiting_second).status == "PENDING", "its bound passed, undecided"


async def test_a_lost_message_is_caught_by_the_re_read_at_the_bound(
    resources: Resources,
) -> None:
    (checkout_id,) = await _pending_checkouts(resources, 1)
    waiting = asyncio.create_task(
        waiter.wait_for_decision(resources, checkout_id, timedelta(seconds=2))
    )
    await asyncio.sleep(0.2)

    await _decide(resources, checkout_id, tell=False)  # decided, but nobody is told

    assert (await waiting).status == "AWAITING_PAYMENT", "the row is the truth"
