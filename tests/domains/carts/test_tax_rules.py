"""Tax by destination from the local rules: a line's rate is the most specific rule of
(country, region, category), shipping is taxed at the region's or country's general rate
where the country says so, and prices are inclusive or exclusive per country. Amounts
are worked out by hand."""

from __future__ import annotations

import uuid
from typing import Any

from domains.carts.pricing.money import CartItem, ShippingOption, price
from domains.carts.pricing.tax.local import LocalTaxProvider
from domains.carts.pricing.tax_provider import Destination
from domains.kit.auth import Role
from domains.kit.resources import Resources
from tests.support.graphql import GraphQLClient
from tests.support.tokens import token_for

BOOKS = uuid.uuid4()
FICTION = uuid.uuid4()  # below BOOKS: a fiction line carries both ids
SELLER = uuid.uuid4()

COUNTRY_SET = """
mutation($input: TaxCountryInput!) {
  taxCountrySet(input: $input) {
    country { countryCode pricesIncludeTax taxShipping standardRate } errors { field code }
  }
}
"""
RULE_CREATE = """
mutation($input: TaxRuleCreateInput!) {
  taxRuleCreate(input: $input) {
    rule { id countryCode regionCode categoryId rate name } errors { field code message }
  }
}
"""


def _item(price_each: int, *categories: uuid.UUID, quantity: int = 1) -> CartItem:
    return CartItem(
        variant_id=uuid.uuid4(),
        product_id=uuid.uuid4(),
        seller_id=SELLER,
        category_ids=frozenset(categories),
        quantity=quantity,
        list_unit_price=price_each,
        unit_price=price_each,
        promotion_name=None,
    )


async def _staff_sets(client: GraphQLClient, token: str, query: str, **input: Any) -> Any:
    answer = (await client.execute(query, {"input": input}, token=token)).ok()
    return next(iter(answer.values()))


async def _us_and_germany(client: GraphQLClient, staff: str) -> None:
    await _staff_sets(
        client, staff, COUNTRY_SET,
        countryCode="US", pricesIncludeTax=False, taxShipping=True, standardRate=500,
    )  # fmt: skip
    await _staff_sets(
        client, staff, COUNTRY_SET,
        countryCode="de", pricesIncludeTax=True, taxShipping=False, standardRate=1900,
    )  # fmt: skip
    for region, category, rate in [
        ("", BOOKS, 100),  # books anywhere in the US
        ("US-CA", BOOKS, 200),  # books in California (ISO 3166-2 form, stored as CA)
        ("ca", None, 725),  # everything else in California
    ]:
        answer = await _staff_sets(
            client, staff, RULE_CREATE, countryCode="US", regionCode=region,
            categoryId=None if category is None else str(category), rate=rate, name=f"r{rate}",
        )  # fmt: skip
        assert answer["errors"] == []
    answer = await _staff_sets(
        client, staff, RULE_CREATE, countryCode="DE", categoryId=str(BOOKS), rate=700,
        name="Ermäßigt",
    )  # fmt: skip
    assert answer["errors"] == []


async def _rates(resources: Resources, destination: Destination, items: list[CartItem]) -> Any:
    async with resources.session_factory() as session:
        return await LocalTaxProvider(session).rates(destination, items, {}, "USD")


async def test_the_most_specific_rule_taxes_each_line(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    await _us_and_germany(carts_client, token_for(resources, uuid.uuid4(), Role.STAFF))
    fiction, mug = _item(1000, BOOKS, FICTION), _item(1000)

    california = await _rates(resources, Destination("US", "CA", "94103"), [fiction, mug])
    new_york = await _rates(resources, Destination("US", "NY", "10001"), [fiction, mug])
    germany = await _rates(resources, Destination("DE", "BY", "80331"), [fiction, mug])
    nowhere = await _rates(resources, Destination("JP", "", "100-0001"), [fiction, mug])

    # (US, CA, books) 200 beats (US, '', books) 100; the mug takes California's general
    # 725, and so does shipping; in New York no regional rule: books 100, standard 500.
    assert california.line_rates == {fiction.variant_id: 200, mug.variant_id: 725}
    assert (california.tax_included, california.shipping_rate) == (False, 725)
    assert new_york.line_rates == {fiction.variant_id: 100, mug.variant_id: 500}
    assert new_york.shipping_rate == 500
    # Germany: inclusive, reduced books, shipping untaxed (taxShipping false).
    assert germany.line_rates == {fiction.variant_id: 700, mug.variant_id: 1900}
    assert (germany.tax_included, germany.shipping_rate) == (True, 0)
    # A country without settings: nothing taxed, prices exclusive (as before tax existed).
    assert nowhere.line_rates == {fiction.variant_id: 0, mug.variant_id: 0}
    assert (nowhere.tax_included, nowhere.shipping_rate) == (False, 0)


async def test_inclusive_and_exclusive_amounts_worked_by_hand(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    await _us_and_germany(carts_client, token_for(resources, uuid.uuid4(), Role.STAFF))
    book, lamp = _item(1999, BOOKS, quantity=2), _item(4999)
    standard = ShippingOption(
        method_id=None, name="Standard", price=600, free_above=None, min_days=3, max_days=7
    )
    items = [book, lamp]

    in_california = price(
        items,
        [],
        {SELLER: standard},
        await _rates(resources, Destination("US", "CA", ""), items),
        "USD",
    )
    in_germany = price(
        items,
        [],
        {SELLER: standard},
        await _rates(resources, Destination("DE", "", ""), items),
        "EUR",
    )

    # Goods: books 2 x 1999 = 3998, lamp 4999; shipping 600 shared 3998 : 4999 by largest
    # remainder: 600 * 3998 / 8997 = 266.62 and 333.38 -> 267 and 333.
    # California, exclusive: books 3998 x 2 % = 79.96 -> 80, shipping share 267 x 7.25 %
    # = 19.36 -> 19; lamp 4999 x 7.25 % = 362.43 -> 362, shipping 333 x 7.25 % = 24.14
    # -> 24. Tax 80 + 19 + 362 + 24 = 485, added: 8997 + 600 + 485 = 10082.
    assert [(line.shipping, line.tax) for line in in_california.lines] == [(267, 99), (333, 386)]
    assert (in_california.tax, in_california.total) == (485, 10082)
    assert in_california.parcels[0].tax == 19 + 24
    # Germany, inclusive, shipping untaxed: books 3998 x 700 / 10700 = 261.55 -> 262;
    # lamp 4999 x 1900 / 11900 = 798.15 -> 798. Tax inside the prices: total 9597.
    assert [line.tax for line in in_germany.lines] == [262, 798]
    assert (in_germany.tax, in_germany.total, in_germany.tax_included) == (1060, 9597, True)
    assert in_germany.parcels[0].tax == 0


async def test_only_staff_manage_tax_and_bad_rules_are_refused(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    staff = token_for(resources, uuid.uuid4(), Role.STAFF)
    seller = token_for(resources, uuid.uuid4(), Role.SELLER, shop=uuid.uuid4())

    by_seller = await carts_client.execute(
        COUNTRY_SET,
        {"input": {"countryCode": "FR", "pricesIncludeTax": True, "taxShipping": True,
                   "standardRate": 2000}},
        token=seller,
    )  # fmt: skip
    listing_by_seller = await carts_client.execute("{ taxRules { id } }", token=seller)
    before_country = await _staff_sets(
        carts_client, staff, RULE_CREATE, countryCode="FR", rate=550, name="Réduit",
        categoryId=str(BOOKS),
    )  # fmt: skip
    bad_country = await _staff_sets(
        carts_client, staff, COUNTRY_SET,
        countryCode="FX", pricesIncludeTax=True, taxShipping=True, standardRate=10001,
    )  # fmt: skip
    await _staff_sets(
        carts_client, staff, COUNTRY_SET,
        countryCode="FR", pricesIncludeTax=True, taxShipping=True, standardRate=2000,
    )  # fmt: skip
    first = await _staff_sets(
        carts_client, staff, RULE_CREATE, countryCode="FR", rate=550, name="Réduit",
        categoryId=str(BOOKS),
    )  # fmt: skip
    twice = await _staff_sets(
        carts_client, staff, RULE_CREATE, countryCode="FR", rate=210, name="Again",
        categoryId=str(BOOKS),
    )  # fmt: skip
    bad_rule = await _staff_sets(
        carts_client, staff, RULE_CREATE, countryCode="FR", rate=-1, name="",
        regionCode="not a region", categoryId="books",
    )  # fmt: skip
    updated = (
        await carts_client.execute(
            "mutation($id: ID!) { taxRuleUpdate(id: $id, input: {rate: 210}) "
            "{ rule { rate name } errors { code } } }",
            {"id": first["rule"]["id"]},
            token=staff,
        )
    ).ok()["taxRuleUpdate"]
    listed = (
        await carts_client.execute(
            '{ taxCountries { countryCode standardRate } taxRules(countryCode: "fr") '
            "{ regionCode categoryId rate } }",
            token=staff,
        )
    ).ok()

    assert by_seller.error_codes == ["FORBIDDEN"]
    assert listing_by_seller.error_codes == ["FORBIDDEN"]
    assert [(e["field"], e["code"]) for e in before_country["errors"]] == [
        ("countryCode", "NOT_FOUND")
    ]
    assert {(e["field"], e["code"]) for e in bad_country["errors"]} == {
        ("countryCode", "INVALID"),
        ("standardRate", "INVALID"),
    }
    assert first["rule"]["regionCode"] == ""
    assert [e["code"] for e in twice["errors"]] == ["ALREADY_EXISTS"]
    assert {(e["field"], e["code"]) for e in bad_rule["errors"]} == {
        ("regionCode", "INVALID"),
        ("categoryId", "INVALID"),
        ("rate", "INVALID"),
        ("name", "REQUIRED"),
    }
    assert updated == {"rule": {"rate": 210, "name": "Réduit"}, "errors": []}
    assert listed == {
        "taxCountries": [{"countryCode": "FR", "standardRate": 2000}],
        "taxRules": [{"regionCode": "", "categoryId": str(BOOKS), "rate": 210}],
    }
