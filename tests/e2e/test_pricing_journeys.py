"""Pricing through the gateway, every domain's workers running as under `shopgraph serve`:
a two-seller order with a platform promotion, one seller's voucher, express shipping for
one parcel and tax at an EU tax-inclusive and a US tax-exclusive destination, each amount
worked out by hand below; a quote gone stale answering PRICE_CHANGED; and payments
charging exactly the order's total.

The catalog: seller Alpha sells a scarf (Knitwear, 40.00 a unit, two bought), seller Beta
a novel (Books, 15.00) and a mug (12.00). Staff run "Winter knitwear", 25 % off Knitwear;
Beta hands out BETA10, 10 % off Beta's lines. Alpha ships Standard or Express at zone
rates; Beta has no methods of its own and ships with the platform's Standard at 6.00.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from domains.kit.auth import Role
from domains.kit.resources import Resources
from domains.payments.models import Payment
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.checkout import ADDRESS, cart_with, eventually, ok
from tests.support.graphql import GraphQLClient
from tests.support.tokens import token_for

PRICING = """
query($cart: ID!, $address: PricingAddressInput!, $shipping: [ParcelShippingChoiceInput!]) {
  cart(id: $cart) {
    pricing(address: $address, shipping: $shipping) {
      currency taxIncluded subtotal discount shipping tax total quoteToken
      discounts { kind name code amount }
      parcels { seller { id } price tax chosen { methodId name price minDays maxDays }
                options { methodId name price } }
      lines { variantId listUnitPrice unitPrice quantity discount shipping tax total }
    }
  }
}
"""

CHECKOUT = """
mutation($cart: ID!, $address: ShippingAddressInput!, $key: String!,
         $shipping: [ParcelShippingChoiceInput!], $quote: String) {
  checkoutComplete(cartId: $cart, shippingAddress: $address, idempotencyKey: $key,
                   shipping: $shipping, quoteToken: $quote) {
    status
    order {
      id status currency subtotal discount shipping tax taxIncluded total
      discounts { kind name code amount }
      parcels { seller { id } methodName price tax estimate { minDays maxDays } }
      lines { sku listUnitPrice unitPrice quantity discount shipping tax total }
    }
    errors { code message changes { what subject before after } }
  }
}
"""


@dataclass(frozen=True)
class Shop:
    alpha_seller: uuid.UUID
    beta_seller: uuid.UUID
    scarf: uuid.UUID
    novel: uuid.UUID
    mug: uuid.UUID
    express: uuid.UUID
    platform_standard: uuid.UUID
    europe_zone: str
    america_zone: str
    staff_token: str
    alpha_token: str
    currency: str


def seller_token(resources: Resources, seller_id: uuid.UUID) -> str:
    return token_for(resources, uuid.uuid4(), Role.CUSTOMER, Role.SELLER, shop=seller_id)


async def mutate(platform: GraphQLClient, query: str, variables: Any, token: str) -> Any:
    """Run an admin mutation and return its payload, which must carry no error."""
    data = await ok(platform, query, variables, token)
    (payload,) = data.values()
    assert payload["errors"] == [], payload["errors"]
    return payload


async def open_shop(platform: GraphQLClient, resources: Resources, currency: str) -> Shop:
    catalog = Catalog(resources)
    alpha = await catalog.seller()
    beta = await catalog.seller()
    assert alpha.seller_id is not None
    assert beta.seller_id is not None
    knitwear = await catalog.category("Knitwear")
    books = await catalog.category("Books")
    scarf = await catalog.product(
        alpha,
        "Wool Scarf",
        category_id=knitwear,
        variants=[VariantSpec(sku="SCARF", price=4000, currency=currency, stock=20)],
    )
    novel = await catalog.product(
        beta,
        "A Novel",
        category_id=books,
        variants=[VariantSpec(sku="NOVEL", price=1500, currency=currency, stock=20)],
    )
    mug = await catalog.product(
        beta, "Mug", variants=[VariantSpec(sku="MUG", price=1200, currency=currency, stock=20)]
    )
    staff = token_for(resources, uuid.uuid4(), Role.CUSTOMER, Role.STAFF)
    alpha_token = seller_token(resources, alpha.seller_id)
    beta_token = seller_token(resources, beta.seller_id)

    await mutate(
        platform,
        "mutation($input: PromotionCreateInput!) { promotionCreate(input: $input) "
        "{ promotion { id } errors { code message } } }",
        {
            "input": {
                "name": "Winter knitwear",
                "discount": {"basisPoints": 2500},
                "categoryIds": [str(knitwear)],
            }
        },
        staff,
    )
    await mutate(
        platform,
        "mutation($input: VoucherCreateInput!) { voucherCreate(input: $input) "
        "{ voucher { id } errors { code message } } }",
        {
            "input": {
                "code": "BETA10",
                "name": "Beta's ten",
                "kind": "PERCENTAGE",
                "value": 1000,
                "scope": "SELLER",
                "combinable": True,
            }
        },
        beta_token,
    )

    zone = (
        "mutation($input: ShippingZoneCreateInput!) { shippingZoneCreate(input: $input) "
        "{ zone { id } errors { code message } } }"
    )
    method = (
        "mutation($input: ShippingMethodCreateInput!) { shippingMethodCreate(input: $input) "
        "{ method { id } errors { code message } } }"
    )
    europe = (
        await mutate(
            platform, zone, {"input": {"name": "EU", "countryCodes": ["DE", "FR"]}}, alpha_token
        )
    )["zone"]["id"]
    america = (
        await mutate(
            platform,
            zone,
            {"input": {"name": "North America", "countryCodes": ["US", "CA"]}},
            alpha_token,
        )
    )["zone"]["id"]
    await mutate(
        platform,
        method,
        {
            "input": {
                "name": "Standard",
                "minDays": 3,
                "maxDays": 5,
                "freeAbove": 10000,
                "rates": [{"zoneId": europe, "price": 490}, {"zoneId": america, "price": 690}],
            }
        },
        alpha_token,
    )
    express = (
        await mutate(
            platform,
            method,
            {
                "input": {
                    "name": "Express",
                    "minDays": 1,
                    "maxDays": 2,
                    "rates": [
                        {"zoneId": europe, "price": 1290},
                        {"zoneId": america, "price": 1790},
                    ],
                }
            },
            alpha_token,
        )
    )["method"]["id"]
    everywhere = (await mutate(platform, zone, {"input": {"name": "Everywhere"}}, staff))["zone"][
        "id"
    ]
    platform_standard = await mutate(
        platform,
        method,
        {
            "input": {
                "name": "Standard shipping",
                "minDays": 3,
                "maxDays": 7,
                "rates": [{"zoneId": everywhere, "price": 600}],
            }
        },
        staff,
    )

    country = (
        "mutation($input: TaxCountryInput!) { taxCountrySet(input: $input) "
        "{ country { countryCode } errors { code message } } }"
    )
    rule = (
        "mutation($input: TaxRuleCreateInput!) { taxRuleCreate(input: $input) "
        "{ rule { id } errors { code message } } }"
    )
    germany = {"countryCode": "DE", "pricesIncludeTax": True, "taxShipping": True}
    await mutate(platform, country, {"input": {**germany, "standardRate": 1900}}, staff)
    await mutate(
        platform,
        rule,
        {
            "input": {
                "countryCode": "DE",
                "categoryId": str(books),
                "rate": 700,
                "name": "Books (reduced)",
            }
        },
        staff,
    )
    united_states = {"countryCode": "US", "pricesIncludeTax": False, "taxShipping": False}
    await mutate(platform, country, {"input": {**united_states, "standardRate": 0}}, staff)
    await mutate(
        platform,
        rule,
        {
            "input": {
                "countryCode": "US",
                "regionCode": "CA",
                "rate": 725,
                "name": "California sales tax",
            }
        },
        staff,
    )

    (scarf_variant,) = await catalog.variant_ids(scarf.id)
    (novel_variant,) = await catalog.variant_ids(novel.id)
    (mug_variant,) = await catalog.variant_ids(mug.id)
    return Shop(
        alpha_seller=alpha.seller_id,
        beta_seller=beta.seller_id,
        scarf=scarf_variant,
        novel=novel_variant,
        mug=mug_variant,
        express=uuid.UUID(express),
        platform_standard=uuid.UUID(platform_standard["method"]["id"]),
        europe_zone=europe,
        america_zone=america,
        staff_token=staff,
        alpha_token=alpha_token,
        currency=currency,
    )


async def shopping_cart(platform: GraphQLClient, shop: Shop, token: str) -> str:
    cart = await cart_with(
        platform,
        token,
        [
            {"variantId": str(shop.scarf), "quantity": 2},
            {"variantId": str(shop.novel), "quantity": 1},
            {"variantId": str(shop.mug), "quantity": 1},
        ],
    )
    applied = await ok(
        platform,
        'mutation($cart: ID!) { cartVoucherApply(cartId: $cart, code: "beta10") '
        "{ cart { vouchers { code name } } errors { code message } } }",
        {"cart": cart},
        token,
    )
    assert applied["cartVoucherApply"]["errors"] == []
    assert applied["cartVoucherApply"]["cart"]["vouchers"] == [
        {"code": "BETA10", "name": "Beta's ten"}
    ]
    return cart


def choices(shop: Shop) -> list[dict[str, str]]:
    """Express for Alpha's parcel; for Beta's, the platform's Standard that staff set up
    (a database fresh from its migrations also has the default one at 500)."""
    return [
        {"sellerId": str(shop.alpha_seller), "methodId": str(shop.express)},
        {"sellerId": str(shop.beta_seller), "methodId": str(shop.platform_standard)},
    ]


async def quote(
    platform: GraphQLClient,
    shop: Shop,
    cart: str,
    token: str,
    address: dict[str, str],
    express_rate: int,
) -> dict[str, Any]:
    """The cart's pricing once carts has heard of the promotion and every seller's rate
    (both reach it by events), choosing Express for Alpha's parcel."""
    variables = {
        "cart": cart,
        "address": address,
        "shipping": choices(shop),
    }
    answer: dict[str, Any] = {}

    async def promoted() -> bool:
        nonlocal answer
        answer = (await ok(platform, PRICING, variables, token))["cart"]["pricing"]
        scarf = next(line for line in answer["lines"] if line["variantId"] == str(shop.scarf))
        alpha = next(p for p in answer["parcels"] if p["seller"]["id"] == str(shop.alpha_seller))
        return bool(scarf["unitPrice"] == 3000 and alpha["chosen"]["price"] == express_rate)

    await eventually(promoted)
    return answer


# Worked by hand. Subtotal 2 x 4000 + 1500 + 1200 = 10700. Winter knitwear takes 25 % of
# the scarf's 4000 (1000 a unit, 2000 in all); BETA10 takes 10 % of Beta's 2700 = 270,
# split 150 (novel) / 120 (mug). Beta's parcel ships at 600, split over its goods after
# discount 1350 / 1080: exact shares 333.33 / 266.67, so 333 / 267 by largest remainder.
GERMANY = {"countryCode": "DE", "countryArea": "", "postalCode": "10115"}
# Prices include tax; 19 % is extracted from goods and (taxed) shipping, 7 % from books:
#   scarf  goods 6000 * 19/119 = 957.98 -> 958, shipping 1290 * 19/119 = 205.97 -> 206
#   novel  goods 1350 *  7/107 =  88.32 ->  88, shipping  333 * 19/119 =  53.17 ->  53
#   mug    goods 1080 * 19/119 = 172.44 -> 172, shipping  267 * 19/119 =  42.63 ->  43
# Total 10700 - 2270 + (1290 + 600) = 10320, of which tax 1164 + 141 + 215 = 1520.
GERMAN_ORDER = {
    "currency": "EUR",
    "subtotal": 10700,
    "discount": 2270,
    "shipping": 1890,
    "tax": 1520,
    "taxIncluded": True,
    "total": 10320,
}
GERMAN_LINES = [
    # sku, list unit price, unit price, quantity, discount, shipping, tax, total
    ("MUG", 1200, 1200, 1, 120, 267, 215, 1347),
    ("NOVEL", 1500, 1500, 1, 150, 333, 141, 1683),
    ("SCARF", 4000, 3000, 2, 2000, 1290, 1164, 7290),
]
CALIFORNIA = {"countryCode": "US", "countryArea": "CA", "postalCode": "94103"}
# Tax is added at 7.25 % on goods only (shipping untaxed in the US rules):
#   scarf 6000 * 7.25 % = 435, novel 1350 -> 97.875 -> 98, mug 1080 -> 78.3 -> 78.
# Shipping 1990 (Express to North America) + 600 = 2590.
# Total 10700 - 2270 + 2590 + 611 = 11631.
CALIFORNIAN_ORDER = {
    "currency": "USD",
    "subtotal": 10700,
    "discount": 2270,
    "shipping": 2590,
    "tax": 611,
    "taxIncluded": False,
    "total": 11631,
}
CALIFORNIAN_LINES = [
    ("MUG", 1200, 1200, 1, 120, 267, 78, 1425),
    ("NOVEL", 1500, 1500, 1, 150, 333, 98, 1781),
    ("SCARF", 4000, 3000, 2, 2000, 1990, 435, 8425),
]


def line_amounts(order: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            line["sku"],
            line["listUnitPrice"],
            line["unitPrice"],
            line["quantity"],
            line["discount"],
            line["shipping"],
            line["tax"],
            line["total"],
        )
        for line in order["lines"]
    )


def expected_parcels(
    shop: Shop, express_price: int, express_tax: int, standard_tax: int
) -> list[dict[str, Any]]:
    return sorted(
        [
            {
                "seller": {"id": str(shop.alpha_seller)},
                "methodName": "Express",
                "price": express_price,
                "tax": express_tax,
                "estimate": {"minDays": 1, "maxDays": 2},
            },
            {
                "seller": {"id": str(shop.beta_seller)},
                "methodName": "Standard shipping",
                "price": 600,
                "tax": standard_tax,
                "estimate": {"minDays": 3, "maxDays": 7},
            },
        ],
        key=lambda parcel: parcel["seller"]["id"],
    )


async def charged(resources: Resources, order_id: str) -> tuple[int, str] | None:
    async with resources.session_factory() as session:
        payment = await session.scalar(
            select(Payment).where(Payment.order_id == uuid.UUID(order_id))
        )
    return None if payment is None else (payment.amount, payment.currency)


@pytest.mark.parametrize(
    ("currency", "address", "express_rate", "order", "lines", "parcel_taxes"),
    [
        ("EUR", GERMANY, 1290, GERMAN_ORDER, GERMAN_LINES, (206, 96)),
        ("USD", CALIFORNIA, 1790, CALIFORNIAN_ORDER, CALIFORNIAN_LINES, (0, 0)),
    ],
    ids=["eu-tax-inclusive", "us-tax-exclusive"],
)
async def test_two_sellers_promotion_voucher_express_and_tax(
    platform: GraphQLClient,
    resources: Resources,
    currency: str,
    address: dict[str, str],
    express_rate: int,
    order: dict[str, Any],
    lines: list[tuple[Any, ...]],
    parcel_taxes: tuple[int, int],
) -> None:
    shop = await open_shop(platform, resources, currency)
    token = token_for(resources, uuid.uuid4())
    cart = await shopping_cart(platform, shop, token)
    shown = await quote(platform, shop, cart, token, address, express_rate)
    choice = choices(shop)

    if currency == "USD":
        # Alpha raises the Express rate to North America after the shopper saw the cart.
        assert shown["shipping"] == 1790 + 600
        await mutate(
            platform,
            "mutation($id: ID!, $input: ShippingMethodUpdateInput!) { shippingMethodUpdate("
            "id: $id, input: $input) { method { id } errors { code message } } }",
            {
                "id": str(shop.express),
                "input": {
                    "rates": [
                        {"zoneId": shop.europe_zone, "price": 1290},
                        {"zoneId": shop.america_zone, "price": 1990},
                    ]
                },
            },
            shop.alpha_token,
        )
        stale = (
            await ok(
                platform,
                CHECKOUT,
                {
                    "cart": cart,
                    "address": {**ADDRESS, **street_for(address)},
                    "key": "first",
                    "shipping": choice,
                    "quote": shown["quoteToken"],
                },
                token,
            )
        )["checkoutComplete"]
        assert stale["order"] is None
        (error,) = stale["errors"]
        assert error["code"] == "PRICE_CHANGED"
        assert {
            "what": "SHIPPING",
            "subject": str(shop.alpha_seller),
            "before": 1790,
            "after": 1990,
        } in error["changes"]
        assert {"what": "TOTAL", "subject": "total", "before": 11431, "after": 11631} in error[
            "changes"
        ]
        shown = await quote(platform, shop, cart, token, address, 1990)

    assert {key: shown[key] for key in order if key != "currency"} == {
        key: value for key, value in order.items() if key != "currency"
    }
    assert shown["currency"] == order["currency"]
    assert shown["discounts"] == [
        {"kind": "PROMOTION", "name": "Winter knitwear", "code": None, "amount": 2000},
        {"kind": "VOUCHER", "name": "Beta's ten", "code": "BETA10", "amount": 270},
    ]

    answer = (
        await ok(
            platform,
            CHECKOUT,
            {
                "cart": cart,
                "address": {**ADDRESS, **street_for(address)},
                "key": "second",
                "shipping": choice,
                "quote": shown["quoteToken"],
            },
            token,
        )
    )["checkoutComplete"]

    assert answer["errors"] == []
    placed = answer["order"]
    assert placed["status"] == "AWAITING_PAYMENT"
    assert {key: placed[key] for key in order} == order
    assert placed["discounts"] == shown["discounts"]
    assert line_amounts(placed) == lines
    express_price = 1290 if currency == "EUR" else 1990
    assert sorted(placed["parcels"], key=lambda parcel: parcel["seller"]["id"]) == (
        expected_parcels(shop, express_price, *parcel_taxes)
    )
    assert sum(line[-1] for line in lines) == order["total"]

    async def payment_opened() -> bool:
        return await charged(resources, placed["id"]) is not None

    await eventually(payment_opened)
    assert await charged(resources, placed["id"]) == (order["total"], currency)


def street_for(address: dict[str, str]) -> dict[str, str]:
    """The shipping address of the destination priced: its country, region and postcode."""
    return {
        "countryCode": address["countryCode"],
        "countryArea": address["countryArea"],
        "postalCode": address["postalCode"],
    }
