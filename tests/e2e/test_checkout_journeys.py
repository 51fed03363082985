"""Checkout through the gateway, with every domain's relay and consumers running in the
platform's process as under `shopgraph serve`: carts -> orders -> products -> orders ->
carts by events, answered synchronously within the checkout wait."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select

from domains.kit.auth import Role
from domains.kit.resources import Resources
from domains.orders.models import Order
from domains.users.models import EmailOutbox
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.checkout import ADDRESS, CHECKOUT, cart_with, eventually, ok, stock
from tests.support.graphql import GraphQLClient
from tests.support.tokens import token_for


async def test_guest_cart_to_order_and_back(platform: GraphQLClient, resources: Resources) -> None:
    catalog = Catalog(resources)
    seller = await catalog.seller()
    shirt = await catalog.product(
        seller, "Linen Shirt", variants=[VariantSpec(sku="SHIRT-M", price=2500, stock=10)]
    )
    mug = await catalog.product(
        seller, "Stoneware Mug", variants=[VariantSpec(sku="MUG-1", price=1200, stock=5)]
    )
    (shirt_variant,) = await catalog.variant_ids(shirt.id)
    (mug_variant,) = await catalog.variant_ids(mug.id)

    await ok(
        platform,
        'mutation { accountRegister(input: {email: "ada@example.com", '
        'password: "a long passphrase", name: "Ada"}) { errors { code } } }',
    )
    guest_cart = await cart_with(platform, None, [{"variantId": str(shirt_variant), "quantity": 2}])
    await ok(
        platform,
        "mutation($id: ID!, $lines: [CartLineInput!]!) { cartLinesAdd(cartId: $id, lines: $lines) "
        "{ errors { code } } }",
        {"id": guest_cart, "lines": [{"variantId": str(mug_variant), "quantity": 1}]},
    )
    signed_in = await ok(
        platform,
        'mutation { tokenCreate(email: "ada@example.com", password: "a long passphrase") '
        "{ accessToken } }",
    )
    token = signed_in["tokenCreate"]["accessToken"]
    await cart_with(platform, token, [{"variantId": str(mug_variant), "quantity": 1}])
    merged = await ok(
        platform,
        "mutation($id: ID!) { cartMerge(guestCartId: $id) { cart { id } errors { code } } }",
        {"id": guest_cart},
        token=token,
    )
    me = await ok(
        platform,
        "{ me { name cart { id totalQuantity "
        "lines { quantity variant { sku price { amount } } } } } }",
        token=token,
    )
    cart = me["me"]["cart"]
    assert merged["cartMerge"]["errors"] == []
    assert cart["id"] == merged["cartMerge"]["cart"]["id"]
    assert sorted((line["variant"]["sku"], line["quantity"]) for line in cart["lines"]) == [
        ("MUG-1", 2),
        ("SHIRT-M", 2),
    ]

    answer = (
        await ok(platform, CHECKOUT, {"cart": cart["id"], "address": ADDRESS, "key": "a1"}, token)
    )["checkoutComplete"]

    assert answer["errors"] == []
    assert answer["status"] == "AWAITING_PAYMENT"
    order = answer["order"]
    assert order["status"] == "AWAITING_PAYMENT"
    assert order["number"].startswith("SG-")
    assert (order["subtotal"], order["shipping"], order["tax"]) == (2 * 2500 + 2 * 1200, 500, 0)
    assert order["total"] == 2 * 2500 + 2 * 1200 + 500
    assert order["currency"] == "USD"
    assert sorted(
        (line["sku"], line["unitPrice"], line["quantity"]) for line in order["lines"]
    ) == [
        ("MUG-1", 1200, 2),
        ("SHIRT-M", 2500, 2),
    ]
    assert {line["seller"]["id"] for line in order["lines"]} == {str(seller.seller_id)}
    assert await stock(resources, shirt_variant) == (10, 2)
    assert await stock(resources, mug_variant) == (5, 2)
    listed = await ok(
        platform,
        "{ me { cart { id } orders { totalCount edges { node { id status } } } } }",
        token=token,
    )
    assert listed["me"]["cart"] is None, "the checked-out cart is closed"
    assert listed["me"]["orders"]["totalCount"] == 1
    assert listed["me"]["orders"]["edges"] == [
        {"node": {"id": order["id"], "status": "AWAITING_PAYMENT"}}
    ]

    cancelled = await ok(
        platform,
        "mutation($id: ID!) { orderCancel(id: $id) { order { status statusHistory { status } } "
        "errors { code } } }",
        {"id": order["id"]},
        token,
    )

    assert cancelled["orderCancel"]["order"]["status"] == "CANCELLED"
    assert [s["status"] for s in cancelled["orderCancel"]["order"]["statusHistory"]] == [
        "PENDING",
        "AWAITING_PAYMENT",
        "CANCELLED",
    ]

    async def released() -> bool:
        return await stock(resources, shirt_variant) == (10, 0) and await stock(
            resources, mug_variant
        ) == (5, 0)

    await eventually(released)

    async def cancellation_mailed() -> bool:
        async with resources.session_factory() as session:
            subjects = await session.scalars(
                select(EmailOutbox.subject).where(EmailOutbox.recipient == "ada@example.com")
            )
            return f"Order {order['number']} cancelled" in subjects.all()

    await eventually(cancellation_mailed)


async def test_ten_retries_of_one_key_make_one_order(
    platform: GraphQLClient, resources: Resources
) -> None:
    catalog = Catalog(resources)
    seller = await catalog.seller()
    product = await catalog.product(seller, "Kettle", variants=[VariantSpec(sku="KETTLE", stock=3)])
    (variant,) = await catalog.variant_ids(product.id)
    token = token_for(resources, uuid.uuid4())
    cart = await cart_with(platform, token, [{"variantId": str(variant), "quantity": 1}])

    responses = await asyncio.gather(
        *(
            platform.execute(
                CHECKOUT, {"cart": cart, "address": ADDRESS, "key": "retry"}, token=token
            )
            for _ in range(10)
        )
    )

    answers = [response.ok()["checkoutComplete"] for response in responses]
    assert len({answer["orderId"] for answer in answers}) == 1, answers
    assert {answer["status"] for answer in answers} == {"AWAITING_PAYMENT"}
    async with resources.session_factory() as session:
        placed = (await session.scalars(select(Order.id))).all()
    assert [str(order_id) for order_id in placed] == [answers[0]["orderId"]]
    assert await stock(resources, variant) == (3, 1)


async def test_strangers_see_no_order_cart_or_foreign_lines(
    platform: GraphQLClient, resources: Resources
) -> None:
    catalog = Catalog(resources)
    mia = await catalog.seller()
    bo = await catalog.seller()
    mias = await catalog.product(mia, "Mia's Scarf", variants=[VariantSpec(sku="SCARF", stock=5)])
    bos = await catalog.product(bo, "Bo's Hat", variants=[VariantSpec(sku="HAT", stock=5)])
    (scarf,) = await catalog.variant_ids(mias.id)
    (hat,) = await catalog.variant_ids(bos.id)
    buyer, stranger = uuid.uuid4(), uuid.uuid4()
    buyer_token = token_for(resources, buyer)
    stranger_token = token_for(resources, stranger)
    mia_token = token_for(resources, mia.user_id, Role.CUSTOMER, Role.SELLER, shop=mia.seller_id)
    cart = await cart_with(
        platform,
        buyer_token,
        [{"variantId": str(scarf), "quantity": 1}, {"variantId": str(hat), "quantity": 1}],
    )
    order = (
        await ok(platform, CHECKOUT, {"cart": cart, "address": ADDRESS, "key": "x"}, buyer_token)
    )["checkoutComplete"]["order"]
    query = "query($id: ID!) { order(id: $id) { id total lines { sku } } }"

    as_stranger = await platform.execute(query, {"id": order["id"]}, token=stranger_token)
    cart_as_stranger = await platform.execute(
        "query($id: ID!) { cart(id: $id) { id } }", {"id": cart}, token=stranger_token
    )
    cancel_as_stranger = await platform.execute(
        "mutation($id: ID!) { orderCancel(id: $id) { errors { code } } }",
        {"id": order["id"]},
        token=stranger_token,
    )
    as_mia = await ok(platform, query, {"id": order["id"]}, mia_token)
    mia_orders = await ok(
        platform,
        "{ sellerOrders { totalCount edges { node { id lines { sku } } } } }",
        token=mia_token,
    )
    fulfil_foreign = await ok(
        platform,
        "mutation($o: ID!, $l: [ID!]!) { orderFulfill(orderId: $o, lineIds: $l, "
        'trackingNumber: "T1") { errors { code } } }',
        {"o": order["id"], "l": [str(uuid.uuid4())]},
        mia_token,
    )

    # To a stranger the order and the cart are as absent as ids that name nothing.
    assert as_stranger.body == {"data": {"order": None}}
    assert cart_as_stranger.body == {"data": {"cart": None}}
    assert [e["code"] for e in cancel_as_stranger.ok()["orderCancel"]["errors"]] == ["NOT_FOUND"]
    assert as_mia["order"]["lines"] == [{"sku": "SCARF"}], "a seller sees only their lines"
    assert mia_orders["sellerOrders"]["totalCount"] == 1
    assert mia_orders["sellerOrders"]["edges"] == [
        {"node": {"id": order["id"], "lines": [{"sku": "SCARF"}]}}
    ]
    assert [e["code"] for e in fulfil_foreign["orderFulfill"]["errors"]] in (
        ["NOT_YOUR_LINE"],
        ["ILLEGAL_TRANSITION"],
    )
