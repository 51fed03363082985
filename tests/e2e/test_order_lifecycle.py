"""An order's life after checkout, through the gateway with every worker running: paid,
fulfilled seller by seller, delivered, reviewed as a verified purchase; the transitions the
status machine refuses; and an unpaid order expiring."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from domains.kit.auth import Role
from domains.kit.resources import Resources
from domains.orders.sweeper import expire_once
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.checkout import ADDRESS, CHECKOUT, cart_with, eventually, ok, stock
from tests.support.graphql import GraphQLClient
from tests.support.tokens import token_for

ORDER = """
query($id: ID!) {
  order(id: $id) {
    status statusHistory { status }
    lines { id sku fulfilledAt trackingNumber }
    payment { id status }
  }
}
"""
FULFIL = """
mutation($o: ID!, $l: [ID!]!, $t: String!) {
  orderFulfill(orderId: $o, lineIds: $l, trackingNumber: $t) {
    order { status } errors { field code message }
  }
}
"""
DELIVER = """
mutation($id: ID!) { orderMarkDelivered(id: $id) { order { status } errors { code message } } }
"""
CANCEL = "mutation($id: ID!) { orderCancel(id: $id) { order { status } errors { code message } } }"
REVIEW = """
mutation($p: ID!) {
  reviewCreate(productId: $p, input: {rating: 5, title: "Lovely"}) {
    review { id verifiedPurchase } errors { code }
  }
}
"""


def _codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def _order(platform: GraphQLClient, order_id: str, token: str) -> dict[str, Any]:
    found: dict[str, Any] = (await ok(platform, ORDER, {"id": order_id}, token))["order"]
    return found


async def _pay(platform: GraphQLClient, order_id: str, token: str) -> None:
    """The shopper pays with the local provider, once payments has opened the payment."""

    async def payment_opened() -> bool:
        return (await _order(platform, order_id, token))["payment"] is not None

    await eventually(payment_opened)
    await ok(
        platform,
        "mutation($id: ID!) { paymentSimulate(paymentId: $id, outcome: SUCCEED) "
        "{ errors { code } } }",
        {"id": (await _order(platform, order_id, token))["payment"]["id"]},
        token,
    )


async def test_paid_fulfilled_by_each_seller_delivered_and_reviewed_as_purchased(
    platform: GraphQLClient, resources: Resources
) -> None:
    catalog = Catalog(resources)
    mia, bo = await catalog.seller(), await catalog.seller()
    scarf = await catalog.product(mia, "Scarf", variants=[VariantSpec(sku="SCARF", stock=5)])
    hat = await catalog.product(bo, "Hat", variants=[VariantSpec(sku="HAT", stock=5)])
    (scarf_variant,) = await catalog.variant_ids(scarf.id)
    (hat_variant,) = await catalog.variant_ids(hat.id)
    customer = token_for(resources, uuid.uuid4())
    staff = token_for(resources, uuid.uuid4(), Role.STAFF)
    mia_token = token_for(resources, mia.user_id, Role.CUSTOMER, Role.SELLER, shop=mia.seller_id)
    bo_token = token_for(resources, bo.user_id, Role.CUSTOMER, Role.SELLER, shop=bo.seller_id)
    cart = await cart_with(
        platform,
        customer,
        [
            {"variantId": str(scarf_variant), "quantity": 1},
            {"variantId": str(hat_variant), "quantity": 2},
        ],
    )
    order_id = (
        await ok(platform, CHECKOUT, {"cart": cart, "address": ADDRESS, "key": "k"}, customer)
    )["checkoutComplete"]["orderId"]
    early_review = (await ok(platform, REVIEW, {"p": str(scarf.id)}, customer))["reviewCreate"]
    assert early_review["review"]["verifiedPurchase"] is False

    async def order() -> dict[str, Any]:
        return await _order(platform, order_id, customer)

    lines = {line["sku"]: line["id"] for line in (await order())["lines"]}
    unpaid_fulfil = await ok(
        platform, FULFIL, {"o": order_id, "l": [lines["SCARF"]], "t": "T-0"}, mia_token
    )
    undelivered = await ok(platform, DELIVER, {"id": order_id}, staff)
    assert _codes(unpaid_fulfil["orderFulfill"]) == ["ILLEGAL_TRANSITION"]
    assert _codes(undelivered["orderMarkDelivered"]) == ["ILLEGAL_TRANSITION"]

    await _pay(platform, order_id, customer)

    async def paid() -> bool:
        return (await order())["status"] == "PAID"

    await eventually(paid)

    mia_ships = await ok(
        platform, FULFIL, {"o": order_id, "l": [lines["SCARF"]], "t": "T-MIA"}, mia_token
    )
    mia_again = await ok(
        platform, FULFIL, {"o": order_id, "l": [lines["SCARF"]], "t": "T-MIA"}, mia_token
    )
    mia_takes_bos = await ok(
        platform, FULFIL, {"o": order_id, "l": [lines["HAT"]], "t": "T-X"}, mia_token
    )
    assert mia_ships["orderFulfill"] == {"order": {"status": "PAID"}, "errors": []}
    assert _codes(mia_again["orderFulfill"]) == ["ALREADY_FULFILLED"]
    assert _codes(mia_takes_bos["orderFulfill"]) == ["NOT_YOUR_LINE"]

    bo_ships = await ok(
        platform, FULFIL, {"o": order_id, "l": [lines["HAT"]], "t": "T-BO"}, bo_token
    )
    assert bo_ships["orderFulfill"] == {"order": {"status": "FULFILLED"}, "errors": []}
    too_late = await ok(platform, CANCEL, {"id": order_id}, customer)
    assert _codes(too_late["orderCancel"]) == ["ILLEGAL_TRANSITION"]

    delivered = await ok(platform, DELIVER, {"id": order_id}, staff)
    assert delivered["orderMarkDelivered"] == {"order": {"status": "DELIVERED"}, "errors": []}
    final = await order()
    assert [entry["status"] for entry in final["statusHistory"]] == [
        "PENDING",
        "AWAITING_PAYMENT",
        "PAID",
        "FULFILLED",
        "DELIVERED",
    ]
    assert {line["sku"]: line["trackingNumber"] for line in final["lines"]} == {
        "SCARF": "T-MIA",
        "HAT": "T-BO",
    }
    assert await stock(resources, scarf_variant) == (4, 0), "payment committed the stock"
    assert await stock(resources, hat_variant) == (3, 0)

    async def early_review_verified() -> bool:
        review = await ok(
            platform,
            "query($id: ID!) { product(id: $id) { reviews(first: 5) "
            "{ edges { node { id verifiedPurchase } } } } }",
            {"id": str(scarf.id)},
        )
        edges = review["product"]["reviews"]["edges"]
        return bool(edges) and edges[0]["node"]["verifiedPurchase"] is True

    await eventually(early_review_verified)
    late_review = (await ok(platform, REVIEW, {"p": str(hat.id)}, customer))["reviewCreate"]
    assert late_review["review"]["verifiedPurchase"] is True, "bought and delivered before"


async def test_an_unpaid_order_expires_and_gives_its_stock_back(
    platform: GraphQLClient, resources: Resources
) -> None:
    catalog = Catalog(resources)
    seller = await catalog.seller()
    product = await catalog.product(seller, "Lamp", variants=[VariantSpec(sku="LAMP", stock=2)])
    (variant,) = await catalog.variant_ids(product.id)
    customer = token_for(resources, uuid.uuid4())
    cart = await cart_with(platform, customer, [{"variantId": str(variant), "quantity": 2}])
    order_id = (
        await ok(platform, CHECKOUT, {"cart": cart, "address": ADDRESS, "key": "k"}, customer)
    )["checkoutComplete"]["orderId"]
    assert await stock(resources, variant) == (2, 2)

    assert await expire_once(resources, now=datetime.now(UTC)) == 0, "not due yet"
    assert await expire_once(resources, now=datetime.now(UTC) + timedelta(hours=1)) == 1

    expired = (
        await ok(
            platform,
            "query($id: ID!) { order(id: $id) { status statusHistory { status } } }",
            {"id": order_id},
            customer,
        )
    )["order"]
    assert expired["status"] == "CANCELLED"
    assert [entry["status"] for entry in expired["statusHistory"]] == [
        "PENDING",
        "AWAITING_PAYMENT",
        "CANCELLED",
    ]

    async def released() -> bool:
        return await stock(resources, variant) == (2, 0)

    await eventually(released)


async def test_a_paid_order_cancelled_before_shipping_puts_its_stock_back(
    platform: GraphQLClient, resources: Resources
) -> None:
    catalog = Catalog(resources)
    seller = await catalog.seller()
    product = await catalog.product(seller, "Vase", variants=[VariantSpec(sku="VASE", stock=4)])
    (variant,) = await catalog.variant_ids(product.id)
    customer = token_for(resources, uuid.uuid4())
    cart = await cart_with(platform, customer, [{"variantId": str(variant), "quantity": 3}])
    order_id = (
        await ok(platform, CHECKOUT, {"cart": cart, "address": ADDRESS, "key": "k"}, customer)
    )["checkoutComplete"]["orderId"]

    await _pay(platform, order_id, customer)

    async def committed() -> bool:
        return await stock(resources, variant) == (1, 0)

    await eventually(committed)

    cancelled = await ok(platform, CANCEL, {"id": order_id}, customer)
    assert cancelled["orderCancel"] == {"order": {"status": "CANCELLED"}, "errors": []}

    async def restocked() -> bool:
        return await stock(resources, variant) == (4, 0)

    await eventually(restocked)
