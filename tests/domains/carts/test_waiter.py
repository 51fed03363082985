"""checkoutComplete's wait for the saga's decision: one Redis subscription per process
however many checkouts wait, each woken by its own decision, a decision broadcast by the
orders domain applied by its own waiter, and the row as the truth when a message is
lost."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from domains.carts import waiter
from domains.carts.models import Checkout, CheckoutStatus
from domains.kit.db import transaction
from domains.kit.events.broadcast import broadcast
from domains.kit.resources import Resources
from domains.orders import events as orders_events
from tests.support.sql_counter import SqlCounter


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


async def _subscribers(resources: Resources) -> int:
    """Connections subscribed to anything (NUMPAT would count each pattern once however
    many connections share it)."""
    listed = await resources.redis.execute_command("CLIENT", "LIST", "TYPE", "pubsub")
    text = listed.decode() if isinstance(listed, bytes) else str(listed)
    return len([line for line in text.splitlines() if line.strip()])


async def test_many_waiting_checkouts_share_one_subscription(resources: Resources) -> None:
    ids = await _pending_checkouts(resources, 60)
    before = await _subscribers(resources)
    waits = [
        asyncio.create_task(waiter.wait_for_decision(resources, checkout_id, timedelta(seconds=20)))
        for checkout_id in ids
    ]
    for _ in range(100):  # until the one listener has subscribed
        if await _subscribers(resources) > before:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)  # time for any further subscriptions to show
    subscriptions_while_waiting = await _subscribers(resources) - before

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


async def _order_of(resources: Resources, checkout_id: uuid.UUID) -> uuid.UUID:
    async with transaction(resources.session_factory) as session:
        order_id = await session.scalar(select(Checkout.order_id).where(Checkout.id == checkout_id))
    assert order_id is not None
    return order_id


async def _until_subscribed(resources: Resources, before: int) -> None:
    for _ in range(100):
        if await _subscribers(resources) > before:
            return
        await asyncio.sleep(0.02)


async def _broadcast_decision(
    resources: Resources, order_id: uuid.UUID, checkout_id: uuid.UUID, status: str, sequence: int
) -> None:
    """What the orders domain sends as its decision commits, with its own event class."""
    decided = orders_events.OrderStatusChanged(
        order_id=order_id,
        number="SG-000001",
        customer_id=uuid.uuid4(),
        checkout_id=checkout_id,
        status=status,
        previous_status="PENDING",
        sequence=sequence,
        reason="INSUFFICIENT_STOCK" if status == "FAILED" else None,
        failed_lines=[],
        total=1000,
        currency="EUR",
        changed_at=datetime.now(UTC),
    )
    await broadcast(resources.redis, resources.settings, decided, str(order_id))


async def test_a_broadcast_decision_is_applied_by_its_waiter_before_any_consumer(
    resources: Resources,
) -> None:
    waited_for, not_waited_for = await _pending_checkouts(resources, 2)
    order_id = await _order_of(resources, waited_for)
    other_order_id = await _order_of(resources, not_waited_for)
    before = await _subscribers(resources)
    waiting = asyncio.create_task(
        waiter.wait_for_decision(resources, waited_for, timedelta(seconds=20), order_id=order_id)
    )
    await _until_subscribed(resources, before)

    # No carts consumer runs here: only the broadcast can decide the wait.
    await _broadcast_decision(resources, other_order_id, not_waited_for, "FAILED", 2)
    await _broadcast_decision(resources, order_id, waited_for, "AWAITING_PAYMENT", 2)
    decided = await waiting

    async with transaction(resources.session_factory) as session:
        untouched = await session.get(Checkout, not_waited_for)
    assert (decided.status, decided.status_sequence) == ("AWAITING_PAYMENT", 2)
    assert untouched is not None
    assert untouched.status == "PENDING", "nobody here waited for that order"


async def test_an_older_broadcast_does_not_undo_a_newer_status(resources: Resources) -> None:
    (checkout_id,) = await _pending_checkouts(resources, 1)
    order_id = await _order_of(resources, checkout_id)
    await _decide(resources, checkout_id, tell=False)  # AWAITING_PAYMENT, sequence 2
    before = await _subscribers(resources)
    waiting = asyncio.create_task(
        waiter.wait_for_decision(resources, checkout_id, timedelta(seconds=1), order_id=order_id)
    )
    await _until_subscribed(resources, before)

    await _broadcast_decision(resources, order_id, checkout_id, "FAILED", 1)
    await waiting

    async with transaction(resources.session_factory) as session:
        checkout = await session.get(Checkout, checkout_id)
    assert checkout is not None
    assert (checkout.status, checkout.status_sequence) == ("AWAITING_PAYMENT", 2)


async def _committed_listened_for_and_decided(
    resources: Resources, sql_counter: SqlCounter
) -> tuple[list[str], Checkout]:
    """A checkout committed as checkoutComplete commits it (listened for first), waited
    for, then decided by a broadcast: the statements of its wait until the broadcast,
    and the checkout it ended with."""
    checkout_id, order_id = uuid.uuid4(), uuid.uuid4()
    with waiter.expecting(resources, checkout_id, order_id) as expected:
        async with transaction(resources.session_factory) as session:
            committed = await session.scalar(
                insert(Checkout)
                .values(
                    id=checkout_id,
                    cart_id=uuid.uuid4(),
                    customer_id=uuid.uuid4(),
                    idempotency_key=f"listened-for-{checkout_id}",
                    order_id=order_id,
                )
                .returning(Checkout)
            )
        assert committed is not None
        sql_counter.reset()
        waiting = asyncio.create_task(
            waiter.wait_for_decision(
                resources,
                checkout_id,
                timedelta(seconds=20),
                order_id=order_id,
                committed=(committed, expected),
            )
        )
        await asyncio.sleep(0.3)
        unread = list(sql_counter.statements)
        await _broadcast_decision(resources, order_id, checkout_id, "AWAITING_PAYMENT", 2)
        return unread, await waiting


async def test_a_checkout_listened_for_before_its_commit_is_not_read_until_something_is_heard(
    resources: Resources, sql_counter: SqlCounter
) -> None:
    (other,) = await _pending_checkouts(resources, 1)
    before = await _subscribers(resources)
    # Someone else waits already: the subscription is made, and stays.
    elsewhere = asyncio.create_task(
        waiter.wait_for_decision(resources, other, timedelta(seconds=20))
    )
    await _until_subscribed(resources, before)
    unread, decided = await _committed_listened_for_and_decided(resources, sql_counter)
    elsewhere.cancel()

    assert unread == [], "no read before the decision was heard"
    assert (decided.status, decided.status_sequence) == ("AWAITING_PAYMENT", 2)


async def test_checkouts_one_after_another_share_the_subscription_and_need_no_read(
    resources: Resources, sql_counter: SqlCounter
) -> None:
    """The subscription outlives its last waiter for a while: the next checkout finds it
    made, so nothing wakes it for a read before its decision is heard."""
    (first,) = await _pending_checkouts(resources, 1)
    before = await _subscribers(resources)
    waiting = asyncio.create_task(waiter.wait_for_decision(resources, first, timedelta(seconds=20)))
    await _until_subscribed(resources, before)
    await _decide(resources, first, tell=True)
    assert (await waiting).status == "AWAITING_PAYMENT"
    await asyncio.sleep(0.2)
    subscriptions_between = await _subscribers(resources) - before

    unread, decided = await _committed_listened_for_and_decided(resources, sql_counter)

    assert subscriptions_between == 1, "the subscription stays between the two"
    assert unread == [], "no read before the decision was heard"
    assert (decided.status, decided.status_sequence) == ("AWAITING_PAYMENT", 2)
