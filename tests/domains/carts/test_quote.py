"""Cart.pricing: a two-seller cart quoted for an address, to the minor unit; the
cheapest option unless one is chosen; bad choices refused by name; and a quote's SQL does
not grow with the cart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert

from domains.carts.models import VariantOffer
from domains.carts.pricing.shipping.models import ShippingMethod, ShippingZone
from domains.kit.auth import Role
from domains.kit.resources import Resources
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter
from tests.support.tokens import Customer, token_for

BOOKS = uuid.uuid4()
PRICING = """
query($cart: ID!, $address: PricingAddressInput!, $shipping: [ParcelShippingChoiceInput!]) {
  cart(id: $cart) {
    pricing(address: $address, shipping: $shipping) {
      currency taxIncluded subtotal discount shipping tax total
      discounts { kind name code amount }
      parcels {
        seller { id } price tax
        options { methodId name price minDays maxDays }
        chosen { methodId name }
      }
      lines { lineId variantId quantity listUnitPrice unitPrice discount shipping tax total }
      quoteToken
    }
  }
}
"""
GERMANY = {"countryCode": "DE", "countryArea": "BY", "postalCode": "80331"}


@dataclass
class Offer:
    seller_id: uuid.UUID
    price: int
    list_price: int | None = None
    promotion: str | None = None
    categories: list[uuid.UUID] = field(default_factory=list)
    currency: str = "EUR"
    variant_id: uuid.UUID = field(default_factory=uuid.uuid4)


async def put_offers(resources: Resources, *offers: Offer) -> None:
    """What products' events would have told carts of these variants."""
    async with resources.session_factory() as session, session.begin():
        await session.execute(
            insert(VariantOffer).values(
                [
                    {
                        "variant_id": offer.variant_id,
                        "product_id": uuid.uuid4(),
                        "seller_id": offer.seller_id,
                        "currency": offer.currency,
                        "price_amount": offer.price,
                        "list_price_amount": offer.list_price,
                        "promotion_name": offer.promotion,
                        "category_ids": offer.categories,
                        "available": 100,
                    }
                    for offer in offers
                ]
            )
        )


async def cart_of(
    client: GraphQLClient, customer: Customer, lines: list[tuple[Offer, int]]
) -> dict[str, Any]:
    """The customer's cart with these lines, added one at a time: lines list oldest
    first, so the quote's lines and parcels come in this order."""
    cart: dict[str, Any] = {}
    for offer, quantity in lines:
        answer = (
            await client.execute(
                "mutation($lines: [CartLineInput!]) { cartCreate(lines: $lines) "
                "{ cart { id currency lines { id variant { id } } } errors { code } } }",
                {"lines": [{"variantId": str(offer.variant_id), "quantity": quantity}]},
                token=customer.token,
            )
        ).ok()["cartCreate"]
        assert answer["errors"] == []
        cart = answer["cart"]
    return cart


async def admin(client: GraphQLClient, token: str, mutation: str, **input: Any) -> Any:
    """Run a `name(input: $input) { ... }` admin mutation; the payload's node."""
    answer = (await client.execute(mutation, {"input": input}, token=token)).ok()
    payload = next(iter(answer.values()))
    assert payload["errors"] == [], payload["errors"]
    return payload


ZONE = "mutation($input: ShippingZoneCreateInput!) { shippingZoneCreate(input: $input) { zone { id } errors { code } } }"  # noqa: E501
METHOD = "mutation($input: ShippingMethodCreateInput!) { shippingMethodCreate(input: $input) { method { id } errors { code } } }"  # noqa: E501
COUNTRY = "mutation($input: TaxCountryInput!) { taxCountrySet(input: $input) { country { countryCode } errors { code } } }"  # noqa: E501
RULE = "mutation($input: TaxRuleCreateInput!) { taxRuleCreate(input: $input) { rule { id } errors { code } } }"  # noqa: E501


@dataclass(frozen=True)
class Shop:
    """Two sellers: `own` ships with its own Parcel (490) and Express (990) within
    Germany; `other` has no method and ships with the platform's Standard (600 in
    Europe). Germany taxes inclusive at 19 %, books 7 %, shipping taxed."""

    own: uuid.UUID
    other: uuid.UUID
    parcel: str
    express: str
    standard: str
    staff: str
    own_token: str


async def without_platform_shipping(resources: Resources) -> None:
    """Start from no platform method: migration 0004's default is there for the run's
    first test only (every test empties the tables after it)."""
    async with resources.session_factory() as session, session.begin():
        await session.execute(delete(ShippingMethod).where(ShippingMethod.seller_id.is_(None)))
        await session.execute(delete(ShippingZone).where(ShippingZone.seller_id.is_(None)))


async def shop(client: GraphQLClient, resources: Resources) -> Shop:
    await without_platform_shipping(resources)
    staff = token_for(resources, uuid.uuid4(), Role.STAFF)
    own = uuid.uuid4()
    own_token = token_for(resources, uuid.uuid4(), Role.SELLER, shop=own)
    europe = (await admin(client, staff, ZONE, name="Europe", countryCodes=["DE", "FR"]))["zone"]
    standard = await admin(
        client, staff, METHOD, name="Standard", minDays=3, maxDays=6,
        rates=[{"zoneId": europe["id"], "price": 600}],
    )  # fmt: skip
    germany = (await admin(client, own_token, ZONE, name="Germany", countryCodes=["DE"]))["zone"]
    parcel = await admin(
        client, own_token, METHOD, name="Parcel", minDays=2, maxDays=4,
        rates=[{"zoneId": germany["id"], "price": 490}],
    )  # fmt: skip
    express = await admin(
        client, own_token, METHOD, name="Express", minDays=1, maxDays=1,
        rates=[{"zoneId": germany["id"], "price": 990}],
    )  # fmt: skip
    await admin(
        client, staff, COUNTRY,
        countryCode="DE", pricesIncludeTax=True, taxShipping=True, standardRate=1900,
    )  # fmt: skip
    await admin(
        client, staff, RULE, countryCode="DE", categoryId=str(BOOKS), rate=700, name="Books"
    )
    return Shop(
        own=own,
        other=uuid.uuid4(),
        parcel=parcel["method"]["id"],
        express=express["method"]["id"],
        standard=standard["method"]["id"],
        staff=staff,
        own_token=own_token,
    )


async def two_seller_cart(
    client: GraphQLClient, resources: Resources, customer: Customer, shop: Shop
) -> tuple[dict[str, Any], list[Offer]]:
    """2 x 25.00 and a 10.00 lamp on sale at 8.00 from `own`; a 40.00 book from `other`."""
    shirt = Offer(shop.own, 2500)
    lamp = Offer(shop.own, 800, list_price=1000, promotion="Summer sale")
    book = Offer(shop.other, 4000, categories=[BOOKS])
    await put_offers(resources, shirt, lamp, book)
    cart = await cart_of(client, customer, [(shirt, 2), (lamp, 1), (book, 1)])
    return cart, [shirt, lamp, book]


async def quote(
    client: GraphQLClient,
    customer: Customer,
    cart_id: str,
    address: dict[str, str] = GERMANY,
    shipping: list[dict[str, str]] | None = None,
) -> Any:
    return await client.execute(
        PRICING, {"cart": cart_id, "address": address, "shipping": shipping}, token=customer.token
    )


async def test_a_two_seller_cart_is_quoted_to_the_minor_unit(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    setup = await shop(carts_client, resources)
    cart, (shirt, lamp, book) = await two_seller_cart(carts_client, resources, customer, setup)
    line_ids = {line["variant"]["id"]: line["id"] for line in cart["lines"]}

    pricing = (
        await quote(
            carts_client,
            customer,
            cart["id"],
            shipping=[{"sellerId": str(setup.own), "methodId": setup.express}],
        )
    ).ok()["cart"]["pricing"]

    # Goods: shirts 5000, lamp 1000 - 200 (Summer sale) = 800, book 4000: subtotal 10000.
    # Express 990 over the own parcel by goods 5000 : 800 -> 853.45 and 136.55: 853, and
    # 137 for the larger remainder. The other parcel: Standard 600.
    # Tax inside the prices (19 %, books 7 %, shipping 19 %):
    #   shirts 5000 x 19/119 = 798.32 -> 798, shipping 853 x 19/119 = 136.19 -> 136: 934;
    #   lamp 800 x 19/119 = 127.73 -> 128, shipping 137 x 19/119 = 21.87 -> 22: 150;
    #   book 4000 x 7/107 = 261.68 -> 262, shipping 600 x 19/119 = 95.80 -> 96: 358.
    # Total: 10000 - 200 + 990 + 600 = 11390, the tax of 1442 inside it.
    token = pricing.pop("quoteToken")
    assert token.startswith("q1.")
    assert pricing == {
        "currency": "EUR",
        "taxIncluded": True,
        "subtotal": 10000,
        "discount": 200,
        "shipping": 1590,
        "tax": 1442,
        "total": 11390,
        "discounts": [{"kind": "PROMOTION", "name": "Summer sale", "code": None, "amount": 200}],
        "parcels": [
            {
                "seller": {"id": str(setup.own)},
                "price": 990,
                "tax": 158,
                "options": [
                    {
                        "methodId": setup.parcel,
                        "name": "Parcel",
                        "price": 490,
                        "minDays": 2,
                        "maxDays": 4,
                    },
                    {
                        "methodId": setup.express,
                        "name": "Express",
                        "price": 990,
                        "minDays": 1,
                        "maxDays": 1,
                    },
                ],
                "chosen": {"methodId": setup.express, "name": "Express"},
            },
            {
                "seller": {"id": str(setup.other)},
                "price": 600,
                "tax": 96,
                "options": [
                    {
                        "methodId": setup.standard,
                        "name": "Standard",
                        "price": 600,
                        "minDays": 3,
                        "maxDays": 6,
                    }
                ],
                "chosen": {"methodId": setup.standard, "name": "Standard"},
            },
        ],
        "lines": [
            {
                "lineId": line_ids[str(shirt.variant_id)],
                "variantId": str(shirt.variant_id),
                "quantity": 2,
                "listUnitPrice": 2500,
                "unitPrice": 2500,
                "discount": 0,
                "shipping": 853,
                "tax": 934,
                "total": 5853,
            },
            {
                "lineId": line_ids[str(lamp.variant_id)],
                "variantId": str(lamp.variant_id),
                "quantity": 1,
                "listUnitPrice": 1000,
                "unitPrice": 800,
                "discount": 200,
                "shipping": 137,
                "tax": 150,
                "total": 937,
            },
            {
                "lineId": line_ids[str(book.variant_id)],
                "variantId": str(book.variant_id),
                "quantity": 1,
                "listUnitPrice": 4000,
                "unitPrice": 4000,
                "discount": 0,
                "shipping": 600,
                "tax": 358,
                "total": 4600,
            },
        ],
    }


async def test_without_a_choice_each_parcel_takes_its_cheapest_option(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    setup = await shop(carts_client, resources)
    cart, _ = await two_seller_cart(carts_client, resources, customer, setup)

    pricing = (await quote(carts_client, customer, cart["id"])).ok()["cart"]["pricing"]

    assert [parcel["chosen"]["name"] for parcel in pricing["parcels"]] == ["Parcel", "Standard"]
    # 10000 - 200 + 490 + 600.
    assert (pricing["shipping"], pricing["total"]) == (1090, 10890)


async def test_a_choice_that_does_not_fit_and_an_unreachable_address_are_refused(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    setup = await shop(carts_client, resources)
    cart, _ = await two_seller_cart(carts_client, resources, customer, setup)

    others_method = await quote(
        carts_client,
        customer,
        cart["id"],
        shipping=[{"sellerId": str(setup.own), "methodId": setup.standard}],
    )
    not_in_cart = await quote(
        carts_client,
        customer,
        cart["id"],
        shipping=[{"sellerId": str(uuid.uuid4()), "methodId": setup.standard}],
    )
    # Neither the own seller's Germany nor the platform's Europe reaches Japan.
    japan = await quote(carts_client, customer, cart["id"], address={"countryCode": "JP"})
    bad_country = await quote(carts_client, customer, cart["id"], address={"countryCode": "XX"})

    assert others_method.error_codes == ["BAD_USER_INPUT"]
    assert "does not ship seller" in others_method.errors[0]["message"]
    assert "No parcel of this seller in the cart" in not_in_cart.errors[0]["message"]
    assert f"Seller {setup.own} ships no parcel to JP" in japan.errors[0]["message"]
    assert f"Seller {setup.other} ships no parcel to JP" in japan.errors[0]["message"]
    assert "not an ISO 3166-1 alpha-2 country code" in bad_country.errors[0]["message"]


async def test_a_quote_costs_the_same_statements_however_big_the_cart(
    carts_client: GraphQLClient,
    resources: Resources,
    customer: Customer,
    other_customer: Customer,
    sql_counter: SqlCounter,
) -> None:
    setup = await shop(carts_client, resources)
    small_offers = [Offer(setup.own, 1000), Offer(uuid.uuid4(), 2000)]
    large_offers = [
        Offer(seller, 500 + n) for n in range(4) for seller in (setup.own, uuid.uuid4())
    ]
    await put_offers(resources, *small_offers, *large_offers)
    small = await cart_of(carts_client, customer, [(offer, 1) for offer in small_offers])
    large = await cart_of(carts_client, other_customer, [(offer, 2) for offer in large_offers])

    sql_counter.reset()
    (await quote(carts_client, customer, small["id"])).ok()
    small_statements = sql_counter.count
    sql_counter.reset()
    (await quote(carts_client, other_customer, large["id"])).ok()

    assert sql_counter.count == small_statements
    # Every seller's methods, their rates and the zones priced: one statement.
    shipping = [statement for statement in sql_counter.statements if "carts.shipping_" in statement]
    assert len(shipping) == 1, shipping
    assert all(
        f"carts.{table}" in shipping[0]
        for table in ("shipping_methods", "shipping_rates", "shipping_zones")
    )
    # The destination's tax settings and rules: one statement.
    tax = [statement for statement in sql_counter.statements if "carts.tax_" in statement]
    assert len(tax) == 1, tax
    assert all(f"carts.{table}" in tax[0] for table in ("tax_countries", "tax_rules"))
