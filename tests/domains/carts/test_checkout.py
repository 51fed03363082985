"""checkoutComplete on the carts side: validation, one order per idempotency key, the
bounded wait, and following the order's status from OrderStatusChanged events."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from domains.carts.consumers import subscriptions
from domains.carts.models import EVENT_TABLES, Cart, Checkout
from domains.kit.events import Consumer, stream_key
from domains.kit.resources import Resources
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter
from tests.support.tokens import Customer

ADDRESS = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "streetAddress1": "1 Analytical Way",
    "city": "London",
    "postalCode": "N1 7AA",
    "countryCode": "gb",
}
CHECKOUT = """
mutation($cart: ID!, $address: ShippingAddressInput!, $key: String!) {
  checkoutComplete(cartId: $cart, shippingAddress: $address, idempotencyKey: $key) {
    order { id } orderId status errors { field code message variantIds lineIds }
  }
}
"""


async def _cart(client: GraphQLClient, token: str | None, lines: int = 1) -> dict[str, Any]:
    response = await client.execute(
        "mutation($lines: [CartLineInput!]) { cartCreate(lines: $lines) "
        "{ cart { id lines { id variant { id } } } } }",
        {"lines": [{"variantId": str(uuid.uuid4()), "quantity": 2} for _ in range(lines)]},
        token=token,
    )
    cart: dict[str, Any] = response.ok()["cartCreate"]["cart"]
    return cart


async def _checkout(
    client: GraphQLClient, token: str | None, cart_id: str, key: str = "k1", **address: str
) -> Any:
    return await client.execute(
        CHECKOUT, {"cart": cart_id, "address": {**ADDRESS, **address}, "key": key}, token=token
    )


async def _outbox(resources: Resources) -> list[dict[str, Any]]:
    async with resources.session_factory() as session:
        rows = (await session.execute(select(EVENT_TABLES.outbox.c.payload))).scalars().all()
    return list(rows)


async def test_checkout_refuses_what_cannot_become_an_order(
    carts_client: GraphQLClient, customer: Customer, resources: Resources
) -> None:
    empty = (
        await carts_client.execute("mutation { cartCreate { cart { id } } }", token=customer.token)
    ).ok()["cartCreate"]["cart"]
    guest = await _cart(carts_client, None)

    anonymous = await _checkout(carts_client, None, empty["id"])
    empty_cart = await _checkout(carts_client, customer.token, empty["id"])
    guest_cart = await _checkout(carts_client, customer.token, guest["id"])
    missing = await _checkout(carts_client, customer.token, str(uuid.uuid4()))

    assert anonymous.error_codes == ["UNAUTHENTICATED"]
    assert [e["code"] for e in empty_cart.ok()["checkoutComplete"]["errors"]] == ["EMPTY_CART"]
    assert [e["code"] for e in guest_cart.ok()["checkoutComplete"]["errors"]] == [
        "NOT_A_GUEST_CART"
    ]
    assert [e["code"] for e in missing.ok()["checkoutComplete"]["errors"]] == ["NOT_FOUND"]
    assert await _outbox(resources) == []


async def test_a_bad_address_is_refused_field_by_field(
    carts_client: GraphQLClient, customer: Customer
) -> None:
    cart = await _cart(carts_client, customer.token)

    response = await _checkout(carts_client, customer.token, cart["id"], countryCode="XX", city=" ")

    errors = response.ok()["checkoutComplete"]["errors"]
    assert {(e["field"], e["code"]) for e in errors} == {
        ("shippingAddress.city", "INVALID_ADDRESS"),
        ("shippingAddress.countryCode", "INVALID_ADDRESS"),
    }


async def test_another_customers_cart_cannot_be_checked_out(
    carts_client: GraphQLClient, customer: Customer, other_customer: Customer
) -> None:
    cart = await _cart(carts_client, customer.token)

    response = await _checkout(carts_client, other_customer.token, cart["id"])
    unknown = await _checkout(carts_client, other_customer.token, str(uuid.uuid4()))

    # Exactly the answer an id that names no cart gets: the id cannot be confirmed.
    assert response.body == unknown.body
    assert [e["code"] for e in response.ok()["checkoutComplete"]["errors"]] == ["NOT_FOUND"]


async def test_retries_with_one_key_ask_for_one_order(
    carts_client: GraphQLClient, customer: Customer, resources: Resources
) -> None:
    cart = await _cart(carts_client, customer.token, lines=2)

    responses = await asyncio.gather(
        *(_checkout(carts_client, customer.token, cart["id"], key="same") for _ in range(10))
    )

    answers = [response.ok()["checkoutComplete"] for response in responses]
    assert None not in {answer["orderId"] for answer in answers}
    assert len({answer["orderId"] for answer in answers}) == 1
    # Nobody decided within the wait (no orders domain here): the order is PENDING, and
    # not yet an Order anyone could resolve.
    assert {answer["status"] for answer in answers} == {"PENDING"}
    assert {answer["order"] for answer in answers} == {None}
    requested = await _outbox(resources)
    assert len(requested) == 1
    assert requested[0]["order_id"] == answers[0]["orderId"]
    assert requested[0]["shipping_address"]["country_code"] == "GB"
    assert [line["quantity"] for line in requested[0]["lines"]] == [2, 2]
    other_key = await _checkout(carts_client, customer.token, cart["id"], key="other")
    assert [e["code"] for e in other_key.ok()["checkoutComplete"]["errors"]] == [
        "CHECKOUT_IN_PROGRESS"
    ]


async def _deliver(resources: Resources, payload: dict[str, Any]) -> None:
    """Hand an OrderStatusChanged to the carts consumer as the relay would."""
    consumer = Consumer(
        resources, EVENT_TABLES, group="carts", subscriptions=subscriptions(resources)
    )
    await consumer.ensure_groups()
    await resources.redis.xadd(
        stream_key(resources.settings, "OrderStatusChanged"),
        {
            "id": str(uuid.uuid4()),
            "name": "OrderStatusChanged",
            "version": "1",
            "producer": "orders",
            "occurred_at": datetime.now(UTC).isoformat(),
            "payload": json.dumps(payload),
        },
    )
    assert await consumer.consume_once() == 1


async def test_the_answer_follows_the_orders_status_and_closes_the_cart(
    carts_client: GraphQLClient, customer: Customer, resources: Resources
) -> None:
    cart = await _cart(carts_client, customer.token, lines=2)
    first = (await _checkout(carts_client, customer.token, cart["id"])).ok()["checkoutComplete"]
    order_id = first["orderId"]

    await _deliver(resources, {"order_id": order_id, "status": "PENDING", "sequence": 1})
    recorded = (await _checkout(carts_client, customer.token, cart["id"])).ok()["checkoutComplete"]
    await _deliver(resources, {"order_id": order_id, "status": "AWAITING_PAYMENT", "sequence": 3})
    await _deliver(resources, {"order_id": order_id, "status": "PENDING", "sequence": 2})
    replayed = (await _checkout(carts_client, customer.token, cart["id"])).ok()["checkoutComplete"]
    cart_after = await carts_client.execute(
        "query($id: ID!) { cart(id: $id) { status } }", {"id": cart["id"]}, token=customer.token
    )

    assert first["order"] is None, "the orders domain has not recorded it yet"
    assert recorded == {
        "order": {"id": order_id},
        "orderId": order_id,
        "status": "PENDING",
        "errors": [],
    }
    assert replayed == {
        "order": {"id": order_id},
        "orderId": order_id,
        "status": "AWAITING_PAYMENT",
        "errors": [],
    }
    assert cart_after.ok()["cart"]["status"] == "CHECKED_OUT"


async def test_a_status_is_recorded_and_the_cart_closed_in_one_statement(
    carts_client: GraphQLClient, customer: Customer, resources: Resources, sql_counter: SqlCounter
) -> None:
    cart = await _cart(carts_client, customer.token)
    first = (await _checkout(carts_client, customer.token, cart["id"])).ok()["checkoutComplete"]
    order_id = first["orderId"]

    sql_counter.reset()
    await _deliver(resources, {"order_id": order_id, "status": "AWAITING_PAYMENT", "sequence": 2})
    touching_carts = [
        statement
        for statement in sql_counter.statements
        if "carts.checkouts" in statement or "carts.carts" in statement
    ]

    assert len(touching_carts) == 1, touching_carts
    async with resources.session_factory() as session:
        recorded = await session.scalar(select(Checkout))
        cart_status = await session.scalar(select(Cart.status))
    assert recorded is not None
    assert (recorded.status, recorded.status_sequence) == ("AWAITING_PAYMENT", 2)
    assert cart_status == "CHECKED_OUT"


async def test_a_failed_order_names_the_lines_short_of_stock(
    carts_client: GraphQLClient, customer: Customer, resources: Resources
) -> None:
    cart = await _cart(carts_client, customer.token, lines=2)
    first = (await _checkout(carts_client, customer.token, cart["id"])).ok()["checkoutComplete"]
    short = cart["lines"][1]

    await _deliver(
        resources,
        {
            "order_id": first["orderId"],
            "status": "FAILED",
            "sequence": 2,
            "reason": "INSUFFICIENT_STOCK",
            "failed_lines": [
                {"variant_id": short["variant"]["id"], "requested": 2, "available": 1}
            ],
        },
    )
    replayed = (await _checkout(carts_client, customer.token, cart["id"])).ok()["checkoutComplete"]

    assert replayed["order"] is None
    assert replayed["status"] == "FAILED"
    assert [(e["code"], e["lineIds"]) for e in replayed["errors"]] == [
        ("INSUFFICIENT_STOCK", [short["id"]])
    ]
    async with resources.session_factory() as session:
        assert (await session.execute(select(func.count()).select_from(Checkout))).scalar_one() == 1
