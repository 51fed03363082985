"""Checkout re-prices once: a quote token whose prices no longer hold is refused
PRICE_CHANGED saying what changed, with nothing written; otherwise the vouchers are
reserved and CheckoutRequested carries the whole breakdown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from domains.carts.models import EVENT_TABLES, Checkout, VariantOffer
from domains.carts.pricing.vouchers.models import VoucherRedemption
from domains.kit.resources import Resources
from tests.domains.carts.test_quote import BOOKS, Shop, quote, shop, two_seller_cart
from tests.support.graphql import GraphQLClient
from tests.support.tokens import Customer

ADDRESS = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "streetAddress1": "Marienplatz 1",
    "city": "München",
    "postalCode": "80331",
    "countryCode": "DE",
    "countryArea": "BY",
}
CHECKOUT = """
mutation($cart: ID!, $address: ShippingAddressInput!, $key: String!,
         $shipping: [ParcelShippingChoiceInput!], $token: String) {
  checkoutComplete(cartId: $cart, shippingAddress: $address, idempotencyKey: $key,
                   shipping: $shipping, quoteToken: $token) {
    orderId status
    errors { field code message variantIds changes { what subject before after } }
  }
}
"""


def _express(setup: Shop) -> list[dict[str, str]]:
    return [{"sellerId": str(setup.own), "methodId": setup.express}]


async def _checkout(
    client: GraphQLClient,
    customer: Customer,
    cart_id: str,
    token: str | None,
    shipping: list[dict[str, str]] | None = None,
) -> Any:
    answer = await client.execute(
        CHECKOUT,
        {"cart": cart_id, "address": ADDRESS, "key": "k1", "shipping": shipping, "token": token},
        token=customer.token,
    )
    return answer.ok()["checkoutComplete"]


async def _quote_token(
    client: GraphQLClient, customer: Customer, cart_id: str, shipping: list[dict[str, str]]
) -> str:
    pricing = (await quote(client, customer, cart_id, shipping=shipping)).ok()["cart"]["pricing"]
    return str(pricing["quoteToken"])


async def _written(resources: Resources) -> tuple[list[dict[str, Any]], int, int]:
    """The outbox's payloads, the checkouts and the voucher uses held."""
    async with resources.session_factory() as session:
        outbox = (await session.execute(select(EVENT_TABLES.outbox.c.payload))).scalars().all()
        checkouts = await session.scalar(select(func.count()).select_from(Checkout))
        uses = await session.scalar(select(func.count()).select_from(VoucherRedemption))
    return list(outbox), checkouts or 0, uses or 0


async def test_a_changed_shipping_rate_since_the_quote_is_refused_with_nothing_written(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    setup = await shop(carts_client, resources)
    cart, _ = await two_seller_cart(carts_client, resources, customer, setup)
    token = await _quote_token(carts_client, customer, cart["id"], _express(setup))
    # The platform's Standard goes from 600 to 800 in Europe after the customer saw it.
    methods = (await carts_client.execute("{ shippingMethods { id rates { zone { id } } } }",
                                          token=setup.staff)).ok()["shippingMethods"]  # fmt: skip
    zone = next(m for m in methods if m["id"] == setup.standard)["rates"][0]["zone"]["id"]
    changed = await carts_client.execute(
        "mutation($id: ID!, $zone: ID!) { shippingMethodUpdate(id: $id, input: "
        "{rates: [{zoneId: $zone, price: 800}]}) { errors { code } } }",
        {"id": setup.standard, "zone": zone},
        token=setup.staff,
    )
    assert changed.ok()["shippingMethodUpdate"]["errors"] == []

    answer = await _checkout(carts_client, customer, cart["id"], token, _express(setup))

    assert answer["orderId"] is None
    (error,) = answer["errors"]
    assert (error["field"], error["code"]) == ("quoteToken", "PRICE_CHANGED")
    # Shipping 600 -> 800; its tax inside the price 96 -> 800 x 19/119 = 127.73 -> 128,
    # so the tax 1442 -> 1474; the total 11390 -> 11590.
    assert error["changes"] == [
        {"what": "SHIPPING", "subject": str(setup.other), "before": 600, "after": 800},
        {"what": "TAX", "subject": "total", "before": 1442, "after": 1474},
        {"what": "TOTAL", "subject": "total", "before": 11390, "after": 11590},
    ]
    assert await _written(resources) == ([], 0, 0)


async def test_a_changed_price_and_a_changed_choice_are_named(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    setup = await shop(carts_client, resources)
    cart, (shirt, _, _) = await two_seller_cart(carts_client, resources, customer, setup)
    token = await _quote_token(carts_client, customer, cart["id"], _express(setup))
    async with resources.session_factory() as session, session.begin():
        await session.execute(
            update(VariantOffer)
            .where(VariantOffer.variant_id == shirt.variant_id)
            .values(price_amount=2700)
        )

    # Shown with Express, checked out without a choice: the cheapest, Parcel.
    answer = await _checkout(carts_client, customer, cart["id"], token)

    (error,) = answer["errors"]
    assert error["code"] == "PRICE_CHANGED"
    assert error["variantIds"] == [str(shirt.variant_id)]
    changes = {(c["what"], c["subject"]): (c["before"], c["after"]) for c in error["changes"]}
    assert changes[("LINE_PRICE", str(shirt.variant_id))] == (2500, 2700)
    assert changes[("SHIPPING", str(setup.own))] == (990, 490)
    # 11390 + 2 x 200 - 500.
    assert changes[("TOTAL", "total")] == (11390, 11290)
    assert await _written(resources) == ([], 0, 0)


async def test_checkout_reserves_the_voucher_and_publishes_the_breakdown(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    setup = await shop(carts_client, resources)
    cart, (shirt, lamp, book) = await two_seller_cart(carts_client, resources, customer, setup)
    created = await carts_client.execute(
        'mutation($c: [ID!]!) { voucherCreate(input: {code: "READ10", name: "Read more", '
        "kind: PERCENTAGE, value: 1000, scope: CATEGORIES, categoryIds: $c, combinable: true}) "
        "{ errors { field code message } } }",
        {"c": [str(BOOKS)]},
        token=setup.staff,
    )
    assert created.ok()["voucherCreate"]["errors"] == []
    applied = await carts_client.execute(
        'mutation($id: ID!) { cartVoucherApply(cartId: $id, code: "read10") '
        "{ errors { code message } } }",
        {"id": cart["id"]},
        token=customer.token,
    )
    assert applied.ok()["cartVoucherApply"]["errors"] == []
    token = await _quote_token(carts_client, customer, cart["id"], _express(setup))

    answer = await _checkout(carts_client, customer, cart["id"], token, _express(setup))

    assert answer["errors"] == []
    assert answer["status"] == "PENDING"
    outbox, checkouts, uses = await _written(resources)
    assert (checkouts, uses) == (1, 1)
    (requested,) = outbox
    pricing = requested["pricing"]
    # As quoted before (11390, tax 1442), but the book 10 % off: 400. Its tax inside
    # 3600 x 7/107 = 235.51 -> 236 (was 262): tax 1416; total 11390 - 400 = 10990.
    assert {key: pricing[key] for key in ("subtotal", "discount", "shipping", "tax", "total")} == {
        "subtotal": 10000,
        "discount": 600,
        "shipping": 1590,
        "tax": 1416,
        "total": 10990,
    }
    assert (pricing["currency"], pricing["tax_included"]) == ("EUR", True)
    assert pricing["voucher_codes"] == ["READ10"]
    assert [(d["kind"], d["name"], d["code"], d["amount"]) for d in pricing["discounts"]] == [
        ("PROMOTION", "Summer sale", None, 200),
        ("VOUCHER", "Read more", "READ10", 400),
    ]
    assert [
        (p["seller_id"], p["method_id"], p["method_name"], p["price"], p["tax"])
        for p in pricing["parcels"]
    ] == [
        (str(setup.own), setup.express, "Express", 990, 158),
        (str(setup.other), setup.standard, "Standard", 600, 96),
    ]
    assert [
        (line["variant_id"], line["discount"], line["shipping"], line["tax"], line["total"])
        for line in pricing["lines"]
    ] == [
        (str(shirt.variant_id), 0, 853, 934, 5853),
        (str(lamp.variant_id), 200, 137, 150, 937),
        (str(book.variant_id), 400, 600, 332, 4200),
    ]
    # Products reserves each line at its promoted price.
    assert [(line["variant_id"], line["expected_unit_price"]) for line in requested["lines"]] == [
        (str(shirt.variant_id), 2500),
        (str(lamp.variant_id), 800),
        (str(book.variant_id), 4000),
    ]


async def test_without_a_quote_token_checkout_prices_at_the_rules_of_the_moment(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    setup = await shop(carts_client, resources)
    cart, _ = await two_seller_cart(carts_client, resources, customer, setup)

    answer = await _checkout(carts_client, customer, cart["id"], None)

    assert answer["errors"] == []
    (requested,), _, _ = await _written(resources)
    # The cheapest option of each parcel: Parcel 490 and Standard 600.
    assert [p["method_name"] for p in requested["pricing"]["parcels"]] == ["Parcel", "Standard"]
    assert requested["pricing"]["total"] == 10890


async def test_a_token_not_signed_here_or_of_another_cart_is_refused(
    carts_client: GraphQLClient, resources: Resources, customer: Customer, other_customer: Customer
) -> None:
    setup = await shop(carts_client, resources)
    cart, _ = await two_seller_cart(carts_client, resources, customer, setup)
    other_cart, _ = await two_seller_cart(carts_client, resources, other_customer, setup)
    token = await _quote_token(carts_client, customer, cart["id"], _express(setup))
    others = await _quote_token(carts_client, other_customer, other_cart["id"], _express(setup))
    prefix, payload, signature = token.split(".")
    # The payload's first character changed: all six of its bits are data (a last
    # character's low bits may be padding, so changing it can decode to the same bytes).
    first = "B" if payload[0] == "A" else "A"
    forged = f"{prefix}.{first}{payload[1:]}.{signature}"

    answers = [
        await _checkout(carts_client, customer, cart["id"], bad, _express(setup))
        for bad in (forged, others, "not a token")
    ]

    assert [answer["errors"][0]["message"] for answer in answers] == [
        "This is not a quote token this shop issued.",
        "This quote is another cart's.",
        "This is not a quote token this shop issued.",
    ]
    assert {(e["field"], e["code"]) for answer in answers for e in answer["errors"]} == {
        ("quoteToken", "INVALID")
    }
    assert await _written(resources) == ([], 0, 0)


async def test_a_parcel_nobody_ships_to_the_address_is_refused_before_anything_is_written(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    setup = await shop(carts_client, resources)
    cart, _ = await two_seller_cart(carts_client, resources, customer, setup)

    answer = await carts_client.execute(
        CHECKOUT,
        {"cart": cart["id"], "address": {**ADDRESS, "countryCode": "JP"}, "key": "k1"},
        token=customer.token,
    )

    errors = answer.ok()["checkoutComplete"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("shippingAddress.countryCode", "SHIPPING_UNAVAILABLE"),
        ("shippingAddress.countryCode", "SHIPPING_UNAVAILABLE"),
    ]
    assert await _written(resources) == ([], 0, 0)
