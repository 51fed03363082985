"""The orders subgraph's subscriptions against real Postgres and Redis: an order's
statuses in commit order, refusals, a seller's new orders, no loss across a stopped
relay, and a subscriber that leaves releasing what it held."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from strawberry.types import ExecutionResult

from domains.kit.auth import Role
from domains.kit.events import stream_key
from domains.kit.events.live import live_streams
from domains.kit.resources import Resources
from domains.orders.graphql.schema import schema
from tests.domains.orders.live_helpers import (
    customer,
    pay,
    person,
    place_order,
    registered,
    relay,
    reserve_stock,
    seller,
    ship,
    subscribe,
)

STATUS = """subscription($id: ID!) {
  orderStatusChanged(orderId: $id) { id status total lines { sku fulfilledAt } }
}"""
NEW_ORDERS = "subscription { sellerOrderCreated { id status total lines { sku } } }"
EVENT = "OrderStatusChanged"


@contextlib.asynccontextmanager
async def running_relay(resources: Resources) -> AsyncIterator[None]:
    task = asyncio.create_task(relay(resources).run(idle_poll_seconds=0.05))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _next(stream: AsyncIterator[ExecutionResult]) -> dict[str, Any]:
    result = await anext(stream)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def test_a_customer_sees_their_order_paid_then_shipped_in_order(
    resources: Resources,
) -> None:
    buyer, shop = customer(resources), seller(resources)
    placed = await place_order(resources, buyer, [shop], reserve=False)
    other = await place_order(resources, buyer, [shop], reserve=False)
    await relay(resources).relay_once()  # PENDING went out before anyone subscribed
    stream = await subscribe(schema, resources, buyer, STATUS, {"id": str(placed.order_id)})
    first = asyncio.create_task(_next(stream))
    await registered(resources, EVENT, 1, first)

    seen = []
    async with running_relay(resources):
        await reserve_stock(resources, other)  # the same customer's other order: not this
        await reserve_stock(resources, placed)
        seen.append((await first)["orderStatusChanged"])
        await pay(resources, other.order_id)
        await pay(resources, placed.order_id)
        seen.append((await _next(stream))["orderStatusChanged"])
        await ship(resources, placed)
        seen.append((await _next(stream))["orderStatusChanged"])
    await stream.aclose()  # type: ignore[attr-defined]

    assert [order["status"] for order in seen] == ["AWAITING_PAYMENT", "PAID", "FULFILLED"]
    assert {order["id"] for order in seen} == {str(placed.order_id)}
    assert seen[0]["total"] > 0
    # Each answer is the row read after its event: the shipped order has its lines shipped.
    assert seen[1]["lines"][0]["fulfilledAt"] is None
    assert seen[2]["lines"][0]["fulfilledAt"] is not None


async def test_changes_committed_while_the_relay_was_stopped_arrive_in_order(
    resources: Resources,
) -> None:
    buyer, shop = customer(resources), seller(resources)
    placed = await place_order(resources, buyer, [shop], reserve=False)
    await relay(resources).relay_once()
    stream = await subscribe(schema, resources, buyer, STATUS, {"id": str(placed.order_id)})
    first = asyncio.create_task(_next(stream))
    await registered(resources, EVENT, 1, first)

    async with running_relay(resources):
        await reserve_stock(resources, placed)
        seen = [(await first)["orderStatusChanged"]["status"]]
    # The relay is down: the changes wait in the outbox, committed.
    await pay(resources, placed.order_id)
    await ship(resources, placed)
    async with running_relay(resources):  # and up again
        seen.append((await _next(stream))["orderStatusChanged"]["status"])
        seen.append((await _next(stream))["orderStatusChanged"]["status"])
    await stream.aclose()  # type: ignore[attr-defined]

    assert seen == ["AWAITING_PAYMENT", "PAID", "FULFILLED"]


async def test_another_customer_is_refused_naming_the_order(resources: Resources) -> None:
    buyer, stranger, shop = customer(resources), customer(resources), seller(resources)
    placed = await place_order(resources, buyer, [shop])
    stream = await subscribe(schema, resources, stranger, STATUS, {"id": str(placed.order_id)})
    result = await anext(stream)
    assert result.data is None
    assert result.errors is not None
    (error,) = result.errors
    assert str(placed.order_id) in error.message
    assert error.message == f"No order '{placed.order_id}' that you may follow."
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
    assert live_streams(resources).subscribers(stream_key(resources.settings, EVENT)) == 0


async def test_the_orders_seller_and_staff_may_follow_it(resources: Resources) -> None:
    buyer, shop = customer(resources), seller(resources)
    staff = person(resources, Role.CUSTOMER, Role.STAFF)
    placed = await place_order(resources, buyer, [shop])
    await relay(resources).relay_once()
    streams = [
        await subscribe(schema, resources, who, STATUS, {"id": str(placed.order_id)})
        for who in (shop, staff)
    ]
    pending = [asyncio.create_task(_next(stream)) for stream in streams]
    await registered(resources, EVENT, 2, pending[0])
    await pay(resources, placed.order_id)
    await relay(resources).relay_once()
    for task in pending:
        assert (await task)["orderStatusChanged"]["status"] == "PAID"
    for stream in streams:
        await stream.aclose()  # type: ignore[attr-defined]


async def test_a_seller_hears_of_their_new_orders_only(resources: Resources) -> None:
    buyer, shop, elsewhere = customer(resources), seller(resources), seller(resources)
    stream = await subscribe(schema, resources, shop, NEW_ORDERS)
    first = asyncio.create_task(_next(stream))
    await registered(resources, EVENT, 1, first)

    theirs_not = await place_order(resources, buyer, [elsewhere])
    theirs = await place_order(resources, buyer, [elsewhere, shop])
    await relay(resources).relay_once()
    created = (await first)["sellerOrderCreated"]
    await stream.aclose()  # type: ignore[attr-defined]

    assert theirs_not.order_id != theirs.order_id
    assert created["id"] == str(theirs.order_id)
    assert created["status"] == "AWAITING_PAYMENT"
    # A seller sees their own lines of an order, not the other shop's.
    assert [line["sku"] for line in created["lines"]] == [f"LAMP-{theirs.variants[1].hex[:6]}"]


async def test_a_customer_is_no_seller(resources: Resources) -> None:
    stream = await subscribe(schema, resources, customer(resources), NEW_ORDERS)
    result = await anext(stream)
    assert result.errors is not None
    assert result.errors[0].message == "Only sellers have seller orders."


async def test_a_subscriber_that_leaves_releases_its_queue_and_the_loop(
    resources: Resources,
) -> None:
    buyer, shop = customer(resources), seller(resources)
    placed = await place_order(resources, buyer, [shop])
    key = stream_key(resources.settings, EVENT)
    streams = [
        await subscribe(schema, resources, buyer, STATUS, {"id": str(placed.order_id)})
        for _ in range(2)
    ]
    pending = [asyncio.create_task(anext(stream)) for stream in streams]
    await registered(resources, EVENT, 2, pending[0])

    pending[0].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pending[0]
    await streams[0].aclose()  # type: ignore[attr-defined]
    assert live_streams(resources).subscribers(key) == 1
    assert key in live_streams(resources).running()

    pending[1].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pending[1]
    await streams[1].aclose()  # type: ignore[attr-defined]
    assert live_streams(resources).subscribers(key) == 0
    assert key not in live_streams(resources).running()


async def test_the_in_process_subgraph_subscribes_for_the_gateway(resources: Resources) -> None:
    from domains.kit.app import LocalSubgraph, Runtime
    from domains.orders.app import SPEC

    buyer, stranger, shop = customer(resources), customer(resources), seller(resources)
    placed = await place_order(resources, buyer, [shop])
    await relay(resources).relay_once()
    local = LocalSubgraph(SPEC, Runtime(resources.settings, resources))
    variables = {"id": str(placed.order_id)}

    refused = local.subscribe(STATUS, variables, {"authorization": f"Bearer {stranger.token}"})
    answer = await anext(refused)
    assert answer["data"] is None
    assert answer["errors"][0]["message"] == f"No order '{placed.order_id}' that you may follow."
    await refused.aclose()  # type: ignore[attr-defined]

    events = local.subscribe(STATUS, variables, {"authorization": f"Bearer {buyer.token}"})
    first = asyncio.create_task(anext(events))
    await registered(resources, EVENT, 1, first)
    await pay(resources, placed.order_id)
    await relay(resources).relay_once()
    answer = await first
    assert answer["data"]["orderStatusChanged"]["status"] == "PAID"
    assert "errors" not in answer
    await events.aclose()  # type: ignore[attr-defined]
    assert live_streams(resources).subscribers(stream_key(resources.settings, EVENT)) == 0
