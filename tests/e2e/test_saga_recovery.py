"""The checkout saga survives a products consumer that dies between its commit and its
acknowledgement: the restarted consumer finds the entry still pending, knows from its
processed-events table that the reservation was made, and acknowledges it without
reserving again; the order goes on to AWAITING_PAYMENT.

Every step is driven by hand, with each domain's own relay and consumer, so the test
decides exactly where the crash falls.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from domains.carts.consumers import subscriptions as carts_subscriptions
from domains.carts.models import EVENT_TABLES as CARTS_EVENTS
from domains.kit.app import Runtime
from domains.kit.events import Consumer, Relay
from domains.kit.events.consumer import SimulatedCrash
from domains.kit.resources import Resources
from domains.orders.consumers import subscriptions as orders_subscriptions
from domains.orders.models import EVENT_TABLES as ORDERS_EVENTS
from domains.orders.models import Order
from domains.products.consumers import subscriptions as products_subscriptions
from domains.products.models import EVENT_TABLES as PRODUCTS_EVENTS
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.checkout import ADDRESS, stock
from tests.support.graphql import GraphQLClient
from tests.support.tokens import token_for


@pytest.fixture
async def carts(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[GraphQLClient]:
    from domains.carts.app import create_app

    monkeypatch.setenv("CHECKOUT_WAIT", "1s")  # no worker runs: nothing decides meanwhile
    app = create_app(Runtime(resources.settings, resources), manage_resources=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://carts.test"
    ) as http:
        yield GraphQLClient(http)


def _consumer(resources: Resources, domain: str, name: str) -> Consumer:
    tables, subscriptions = {
        "carts": (CARTS_EVENTS, carts_subscriptions),
        "orders": (ORDERS_EVENTS, orders_subscriptions),
        "products": (PRODUCTS_EVENTS, products_subscriptions),
    }[domain]
    return Consumer(
        resources,
        tables,
        group=domain,
        subscriptions=subscriptions(resources),
        consumer_name=name,
    )


async def _order_status(resources: Resources, order_id: str) -> str:
    async with resources.session_factory() as session:
        status = await session.scalar(select(Order.status).where(Order.id == uuid.UUID(order_id)))
    assert status is not None
    return status


async def test_a_products_consumer_killed_before_its_ack_reserves_once_after_restart(
    carts: GraphQLClient, resources: Resources
) -> None:
    catalog = Catalog(resources)
    seller = await catalog.seller()
    product = await catalog.product(
        seller, "Enamel Pin", variants=[VariantSpec(sku="PIN", price=800, stock=3)]
    )
    (variant,) = await catalog.variant_ids(product.id)
    token = token_for(resources, uuid.uuid4())
    orders = _consumer(resources, "orders", "orders-1")
    products = _consumer(resources, "products", "products-1")
    for consumer in (orders, products, _consumer(resources, "carts", "carts-1")):
        await consumer.ensure_groups()
    cart = (
        await carts.execute(
            "mutation($lines: [CartLineInput!]) { cartCreate(lines: $lines) { cart { id } } }",
            {"lines": [{"variantId": str(variant), "quantity": 2}]},
            token=token,
        )
    ).ok()["cartCreate"]["cart"]["id"]
    answer = (
        await carts.execute(
            "mutation($cart: ID!, $address: ShippingAddressInput!) { checkoutComplete("
            'cartId: $cart, shippingAddress: $address, idempotencyKey: "k") '
            "{ orderId status errors { code } } }",
            {"cart": cart, "address": ADDRESS},
            token=token,
        )
    ).ok()["checkoutComplete"]
    assert (answer["status"], answer["errors"]) == ("PENDING", [])
    order_id = answer["orderId"]

    # carts -> orders: the order is placed and asks for its stock (OrderPlaced).
    assert await Relay(resources, CARTS_EVENTS, producer="carts").relay_once() >= 1
    assert await orders.consume_once() == 1
    assert await Relay(resources, ORDERS_EVENTS, producer="orders").relay_once() >= 1

    # products reserves, commits, and dies before XACK.
    async def die(entry_id: str) -> None:
        raise SimulatedCrash(entry_id)

    products.before_ack = die
    with pytest.raises(SimulatedCrash):
        await products.consume_once()
    assert await stock(resources, variant) == (3, 2), "the reservation was committed"

    # The restarted process has the same consumer name (a pod's stable identity): it
    # first retries the entries delivered to it and never acknowledged.
    restarted = _consumer(resources, "products", "products-1")
    assert await restarted.consume_once(own_pending=True) == 1
    assert await restarted.consume_once(own_pending=True) == 0, "acknowledged now"
    assert await stock(resources, variant) == (3, 2), "and not reserved a second time"

    # products -> orders: StockReserved moves the order on, once.
    assert await Relay(resources, PRODUCTS_EVENTS, producer="products").relay_once() >= 1
    assert await orders.consume_once() >= 1
    assert await _order_status(resources, order_id) == "AWAITING_PAYMENT"
    async with resources.session_factory() as session:
        placed = (await session.scalars(select(Order.id))).all()
    assert [str(order) for order in placed] == [order_id]
