"""A customer follows their order through the platform's gateway, served for real, over
graphql-ws and over SSE: AWAITING_PAYMENT, PAID, FULFILLED, in order, none lost while
the orders relay is stopped and started again, each event joined with fields of the
products and payments subgraphs; another customer's subscription is refused.

The platform serves with its background workers off; the test runs them itself (with
its own connections to the same Postgres and Redis) so it can stop and restart the
orders relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from domains.kit.app import Runtime, run_workers
from domains.kit.auth import Role
from domains.kit.config import Settings
from domains.kit.events import Relay, stream_key
from domains.kit.events.live import live_streams
from domains.kit.resources import Resources
from domains.orders.models import EVENT_TABLES
from shopgraph.platform import build_platform_app, domain_specs
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.gateway.edge import serve_app
from tests.support.checkout import ADDRESS, CHECKOUT, cart_with, eventually, ok
from tests.support.graphql import GraphQLClient
from tests.support.subscriptions import bearer, graphql_ws, sse_stream
from tests.support.tokens import token_for

FOLLOW = """
subscription($id: ID!) {
  orderStatusChanged(orderId: $id) {
    id status
    lines { sku variant { product { name } } }
    payment { status }
  }
}
"""
ORDER = "query($id: ID!) { order(id: $id) { status payment { id } lines { id } } }"
PAY = """
mutation($id: ID!) {
  paymentSimulate(paymentId: $id, outcome: SUCCEED) { errors { code } }
}
"""
FULFIL = """
mutation($o: ID!, $l: [ID!]!) {
  orderFulfill(orderId: $o, lineIds: $l, trackingNumber: "T-1") { errors { code } }
}
"""
EVENT = "OrderStatusChanged"


@dataclasses.dataclass
class Served:
    url: str
    client: GraphQLClient
    runtime: Runtime


@pytest.fixture
async def served(
    settings: Settings, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Served]:
    # The orders relay is stopped at checkout: the shopper is answered PENDING soon.
    monkeypatch.setenv("CHECKOUT_WAIT", "1s")
    # The test holds the orders' events back by stopping their relay, so the relay is to
    # send every event: a process sending its own as they commit would pass it by.
    relayed_only = dataclasses.replace(settings, events_send_on_commit=False)
    runtime = Runtime(relayed_only, workers_enabled=False)
    app = build_platform_app(relayed_only, runtime)
    with serve_app(app, ws="auto") as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield Served(url, GraphQLClient(http), runtime)


@contextlib.asynccontextmanager
async def orders_relay(resources: Resources) -> AsyncIterator[None]:
    task = asyncio.create_task(
        Relay(resources, EVENT_TABLES, producer="orders").run(idle_poll_seconds=0.05)
    )
    outbox = EVENT_TABLES.outbox

    async def all_relayed() -> bool:
        async with resources.session_factory() as session:
            unrelayed = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.relayed_at.is_(None))
            )
        return unrelayed == 0

    try:
        yield
        # Stopped between a round's XADD and its commit, the relay would leave the row
        # to be sent again by the next one (at least once), and a follower would hear
        # that status twice: it stops once its rounds are committed.
        await eventually(all_relayed)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _other_workers() -> list[Any]:
    return [
        worker
        for spec in domain_specs().values()
        for worker in spec.workers
        if getattr(worker, "__name__", "") != "orders_outbox_relay"
    ]


async def _followers(served: Served, count: int) -> None:
    """Until `count` subscriptions in the platform follow the order events' stream."""
    key = stream_key(served.runtime.settings, EVENT)

    async def following() -> bool:
        return live_streams(served.runtime.get()).subscribers(key) >= count

    await eventually(following)


def _followed(message: object) -> dict[str, Any]:
    assert isinstance(message, dict), message
    assert message["type"] == "next", message
    followed: dict[str, Any] = message["payload"]["data"]["orderStatusChanged"]
    return followed


async def test_a_customer_follows_their_order_over_graphql_ws_and_sse(
    served: Served, resources: Resources
) -> None:
    catalog = Catalog(resources)
    shop = await catalog.seller()
    lamp = await catalog.product(shop, "Lamp", variants=[VariantSpec(sku="LAMP", stock=5)])
    (variant,) = await catalog.variant_ids(lamp.id)
    buyer = token_for(resources, uuid.uuid4())
    stranger = token_for(resources, uuid.uuid4())
    seller = token_for(resources, shop.user_id, Role.CUSTOMER, Role.SELLER, shop=shop.seller_id)
    client = served.client

    async def order(order_id: str) -> dict[str, Any]:
        found: dict[str, Any] = (await ok(client, ORDER, {"id": order_id}, buyer))["order"]
        return found

    async with run_workers(_other_workers(), resources):
        cart = await cart_with(client, buyer, [{"variantId": str(variant), "quantity": 1}])
        checkout = await ok(
            client, CHECKOUT, {"cart": cart, "address": ADDRESS, "key": "follow"}, buyer
        )
        order_id = str(checkout["checkoutComplete"]["orderId"])

        async def placed() -> bool:
            found = await ok(client, ORDER, {"id": order_id}, buyer)
            return found["order"] is not None

        await eventually(placed)
        # PENDING goes out before anyone follows, alone: products reserves from the
        # checkout request itself, so the order may be AWAITING_PAYMENT already, and that
        # event is to wait in the outbox.
        await Relay(resources, EVENT_TABLES, producer="orders", batch=1).relay_once()

        async def awaiting_payment() -> bool:
            return (await order(order_id))["status"] == "AWAITING_PAYMENT"

        await eventually(awaiting_payment)

        sse_events: list[tuple[str, Any]] = []
        async with (
            graphql_ws(served.url + "/graphql", bearer(buyer)) as ws,
            graphql_ws(served.url + "/graphql", bearer(stranger)) as other,
        ):
            await other.subscribe("1", FOLLOW, {"id": order_id})
            refused, refused_ending = await other.until_done("1")
            await ws.subscribe("1", FOLLOW, {"id": order_id})
            streaming = asyncio.create_task(
                sse_stream(client.http, FOLLOW, {"id": order_id}, buyer, sse_events)
            )
            await _followers(served, 2)

            async with orders_relay(resources):
                first = await ws.receive()

                async def paid() -> bool:
                    return (await order(order_id))["payment"] is not None

                await eventually(paid)
            # The relay is down: what follows waits in the outbox, committed.
            payment_id = (await order(order_id))["payment"]["id"]
            await ok(client, PAY, {"id": payment_id}, buyer)

            async def captured() -> bool:
                return (await order(order_id))["status"] == "PAID"

            await eventually(captured)
            lines = [line["id"] for line in (await order(order_id))["lines"]]
            fulfilled = await ok(client, FULFIL, {"o": order_id, "l": lines}, seller)
            assert fulfilled["orderFulfill"]["errors"] == []
            async with orders_relay(resources):  # and up again
                second, third = await ws.receive(), await ws.receive()

                async def streamed() -> bool:
                    return len(sse_events) >= 3

                await eventually(streamed)
            streaming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await streaming

    over_ws = [_followed(message) for message in (first, second, third)]
    over_sse = [data["data"]["orderStatusChanged"] for _name, data in sse_events[:3]]
    assert [event["status"] for event in over_ws] == ["AWAITING_PAYMENT", "PAID", "FULFILLED"]
    # Each event is answered as the order is when it is read: the payment may have opened
    # between the two transports' reads of AWAITING_PAYMENT.
    assert [event["status"] for event in over_sse] == ["AWAITING_PAYMENT", "PAID", "FULFILLED"]
    assert [event["lines"] for event in over_sse] == [event["lines"] for event in over_ws]
    assert over_sse[1:] == over_ws[1:]
    assert [name for name, _data in sse_events[:3]] == ["next"] * 3
    # Fields of two other subgraphs: the line's product (products), the payment (payments).
    assert over_ws[0]["lines"] == [{"sku": "LAMP", "variant": {"product": {"name": "Lamp"}}}]
    assert over_ws[2]["payment"] == {"status": "SUCCEEDED"}
    assert refused_ending == "complete"
    assert refused[0]["data"] is None
    assert refused[0]["errors"][0]["message"] == f"No order '{order_id}' that you may follow."
