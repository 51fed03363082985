"""Promotions through the products subgraph: prices before and after on variants, products
and listings; who may create, change, end and list them; refused input writes nothing;
and no cache serves a price from a promotion that ended or changed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domains.kit.db import transaction
from domains.kit.resources import Resources
from domains.kit.seeding import SeedOptions
from domains.products.graphql import loaders as loaders_module
from domains.products.models import Promotion
from domains.products.seed import seed
from tests.domains.products.helpers import Account, Catalog, VariantSpec, count_rows
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter

PROMOTION_FIELDS = """
  id name kind basisPoints amountOff { amount currency } active seller { id }
  categories { slug } productIds startsAt endsAt endedAt
"""
CREATE = f"""
mutation Create($input: PromotionCreateInput!) {{
  promotionCreate(input: $input) {{
    promotion {{ {PROMOTION_FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""
UPDATE = """
mutation Update($id: ID!, $input: PromotionUpdateInput!) {
  promotionUpdate(id: $id, input: $input) {
    promotion { id name kind basisPoints amountOff { amount currency } endsAt }
    errors { field code message }
  }
}
"""
END = """
mutation End($id: ID!) {
  promotionEnd(id: $id) { promotion { id active endedAt } errors { field code message } }
}
"""
LIST = """
query List($first: Int, $after: String, $active: Boolean) {
  promotions(first: $first, after: $after, active: $active) {
    nodes { name active }
    pageInfo { hasNextPage endCursor }
  }
}
"""
PRICES = """
query Prices($id: ID!) {
  product(id: $id) {
    priceRange { start { amount } stop { amount } }
    listPriceRange { start { amount } stop { amount } }
    promotion { name }
    variants {
      sku price { amount currency } listPrice { amount } discount { amount }
      promotion { name }
    }
  }
}
"""
LISTING = """
query Listing($first: Int!) {
  products(first: $first, sort: NEWEST) {
    nodes {
      name
      priceRange { start { amount } }
      listPriceRange { start { amount } }
      promotion { name }
      variants { price { amount } listPrice { amount } discount { amount } promotion { name } }
    }
  }
}
"""

SOON = datetime.now(UTC) + timedelta(days=7)


def _errors(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def _create(client: GraphQLClient, account: Account, **input: Any) -> dict[str, Any]:
    response = await client.execute(CREATE, {"input": input}, token=account.token)
    payload: dict[str, Any] = response.ok()["promotionCreate"]
    return payload


async def _prices(client: GraphQLClient, product_id: uuid.UUID) -> dict[str, Any]:
    product: dict[str, Any] = (await client.execute(PRICES, {"id": str(product_id)})).ok()[
        "product"
    ]
    return product


def _summary(product: dict[str, Any]) -> tuple[Any, ...]:
    """(price range, list price range, product promotion, [(price, list, discount, name)])."""
    return (
        (product["priceRange"]["start"]["amount"], product["priceRange"]["stop"]["amount"]),
        (product["listPriceRange"]["start"]["amount"], product["listPriceRange"]["stop"]["amount"]),
        product["promotion"] and product["promotion"]["name"],
        [
            (
                variant["price"]["amount"],
                variant["listPrice"]["amount"],
                variant["discount"] and variant["discount"]["amount"],
                variant["promotion"] and variant["promotion"]["name"],
            )
            for variant in product["variants"]
        ],
    )


@pytest.fixture
async def shirts(catalog: Catalog) -> dict[str, Any]:
    """A seller's shirt in Clothing > Shirts (19.99 and 29.99) and mug outside it (9.99)."""
    seller = await catalog.seller()
    clothing = await catalog.category("Clothing")
    shirts = await catalog.category("Shirts", parent=clothing)
    shirt = await catalog.product(
        seller,
        "Linen Shirt",
        category_id=shirts,
        variants=[
            VariantSpec("SHIRT-S", price=1999, options=[("Size", "S")]),
            VariantSpec("SHIRT-L", price=2999, options=[("Size", "L")]),
        ],
    )
    mug = await catalog.product(seller, "Mug", variants=[VariantSpec("MUG", price=999)])
    return {"seller": seller, "clothing": clothing, "shirt": shirt, "mug": mug}


async def test_staff_discount_a_category_and_everything_below_it(
    products_client: GraphQLClient, catalog: Catalog, shirts: dict[str, Any]
) -> None:
    staff = catalog.staff()

    payload = await _create(
        products_client,
        staff,
        name="Winter sale",
        discount={"basisPoints": 2000},
        categoryIds=[str(shirts["clothing"])],
        endsAt=SOON.isoformat(),
    )

    assert payload["errors"] == []
    promotion = payload["promotion"]
    assert (promotion["kind"], promotion["basisPoints"], promotion["amountOff"]) == (
        "PERCENTAGE",
        2000,
        None,
    )
    assert promotion["active"] is True
    assert promotion["seller"] is None
    assert promotion["categories"] == [{"slug": "clothing"}]
    # 19.99 less 20 % (399.8 rounds to 400) is 15.99; 29.99 less 599.8 -> 600 is 23.99.
    assert _summary(await _prices(products_client, shirts["shirt"].id)) == (
        (1599, 2399),
        (1999, 2999),
        "Winter sale",
        [(1599, 1999, 400, "Winter sale"), (2399, 2999, 600, "Winter sale")],
    )
    assert _summary(await _prices(products_client, shirts["mug"].id)) == (
        (999, 999),
        (999, 999),
        None,
        [(999, 999, None, None)],
    )


async def test_the_best_promotion_wins_and_a_change_shows_at_once(
    products_client: GraphQLClient, catalog: Catalog, shirts: dict[str, Any]
) -> None:
    staff, seller = catalog.staff(), shirts["seller"]
    await _prices(products_client, shirts["shirt"].id)  # the cache is warm from here on
    tenth = await _create(products_client, staff, name="Tenth off", discount={"basisPoints": 1000})
    shop_sale = await _create(
        products_client,
        seller,
        name="Shop sale",
        discount={"amountOff": {"amount": 300, "currency": "usd"}},
    )
    assert tenth["errors"] == shop_sale["errors"] == []
    assert shop_sale["promotion"]["seller"] == {"id": str(seller.seller_id)}
    assert shop_sale["promotion"]["amountOff"] == {"amount": 300, "currency": "USD"}

    # 19.99: 10 % is 2.00 off, 3.00 off is better; 29.99: 3.00 off each way, the first
    # started (Tenth off) is named; 9.99: 3.00 off beats 1.00 off.
    assert _summary(await _prices(products_client, shirts["shirt"].id))[3] == [
        (1699, 1999, 300, "Shop sale"),
        (2699, 2999, 300, "Tenth off"),
    ]

    response = await products_client.execute(
        UPDATE,
        {"id": tenth["promotion"]["id"], "input": {"discount": {"basisPoints": 5000}}},
        token=staff.token,
    )
    assert response.ok()["promotionUpdate"]["errors"] == []
    assert _summary(await _prices(products_client, shirts["shirt"].id))[3] == [
        (999, 1999, 1000, "Tenth off"),  # 999.5 off rounds half up to 1000
        (1499, 2999, 1500, "Tenth off"),
    ]


async def test_listings_show_the_price_before_and_after(
    products_client: GraphQLClient, catalog: Catalog, shirts: dict[str, Any]
) -> None:
    await _create(
        products_client,
        catalog.staff(),
        name="Shirts",
        discount={"amountOff": {"amount": 500, "currency": "USD"}},
        productIds=[str(shirts["shirt"].id)],
    )

    nodes = (await products_client.execute(LISTING, {"first": 10})).ok()["products"]["nodes"]

    by_name = {node["name"]: node for node in nodes}
    assert by_name["Linen Shirt"]["priceRange"] == {"start": {"amount": 1499}}
    assert by_name["Linen Shirt"]["listPriceRange"] == {"start": {"amount": 1999}}
    assert by_name["Linen Shirt"]["promotion"] == {"name": "Shirts"}
    assert by_name["Mug"]["priceRange"] == by_name["Mug"]["listPriceRange"]
    assert by_name["Mug"]["promotion"] is None


async def test_a_seller_runs_promotions_on_their_own_products_only(
    products_client: GraphQLClient, catalog: Catalog, shirts: dict[str, Any], resources: Resources
) -> None:
    other = await catalog.seller()
    theirs = await catalog.product(other, "Other Mug", variants=[VariantSpec("OTHER", price=1000)])
    seller = shirts["seller"]

    naming_theirs = await _create(
        products_client,
        seller,
        name="Grab",
        discount={"basisPoints": 1000},
        productIds=[str(shirts["mug"].id), str(theirs.id)],
    )
    for_their_shop = await _create(
        products_client,
        seller,
        name="Grab",
        discount={"basisPoints": 1000},
        sellerId=str(other.seller_id),
    )
    assert _errors(naming_theirs) == [("productIds.1", "PERMISSION_DENIED")]
    assert _errors(for_their_shop) == [("sellerId", "PERMISSION_DENIED")]
    assert naming_theirs["promotion"] is None
    assert await count_rows(resources, Promotion) == 0

    own = await _create(products_client, seller, name="Whole shop", discount={"basisPoints": 1000})
    assert own["errors"] == []
    assert own["promotion"]["seller"] == {"id": str(seller.seller_id)}
    # The whole shop: their mug (9.99 -> 8.99), never the other seller's.
    assert _summary(await _prices(products_client, shirts["mug"].id))[3] == [
        (899, 999, 100, "Whole shop")
    ]
    assert _summary(await _prices(products_client, theirs.id))[3] == [(1000, 1000, None, None)]


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        ({"name": " ", "discount": {"basisPoints": 0}}, [
            ("name", "REQUIRED"), ("discount.basisPoints", "INVALID_DISCOUNT"),
        ]),
        ({"discount": {"basisPoints": 10001}}, [("discount.basisPoints", "INVALID_DISCOUNT")]),
        (
            {"discount": {"basisPoints": 100, "amountOff": {"amount": 1, "currency": "USD"}}},
            [("discount", "INVALID_DISCOUNT")],
        ),
        ({"discount": {}}, [("discount", "INVALID_DISCOUNT")]),
        (
            {"discount": {"amountOff": {"amount": 0, "currency": "ZZZ"}}},
            [
                ("discount.amountOff.amount", "INVALID_DISCOUNT"),
                ("discount.amountOff.currency", "INVALID_CURRENCY"),
            ],
        ),
        (
            {"startsAt": "2031-01-02T00:00:00+00:00", "endsAt": "2031-01-01T00:00:00+00:00"},
            [("endsAt", "INVALID_PERIOD")],
        ),
        ({"endsAt": "2020-01-01T00:00:00+00:00"}, [("endsAt", "INVALID_PERIOD")]),
        ({"startsAt": "2031-01-01T00:00:00"}, [("startsAt", "INVALID_PERIOD")]),
        ({"categoryIds": [str(uuid.uuid4())]}, [("categoryIds.0", "NOT_FOUND")]),
        ({"categoryIds": ["nope"]}, [("categoryIds.0", "INVALID")]),
        ({"productIds": [str(uuid.uuid4())]}, [("productIds.0", "NOT_FOUND")]),
    ],
)  # fmt: skip
async def test_bad_input_is_refused_naming_the_field(
    products_client: GraphQLClient,
    catalog: Catalog,
    resources: Resources,
    input: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    payload = await _create(
        products_client,
        catalog.staff(),
        **{"name": "Sale", "discount": {"basisPoints": 1000}, **input},
    )

    assert _errors(payload) == expected
    assert payload["promotion"] is None
    assert await count_rows(resources, Promotion) == 0


async def test_only_sellers_and_staff_manage_promotions(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    variables = {"input": {"name": "Sale", "discount": {"basisPoints": 1000}}}

    as_customer = await products_client.execute(CREATE, variables, token=catalog.customer().token)
    anonymous = await products_client.execute(CREATE, variables)
    listing = await products_client.execute(LIST, {}, token=catalog.customer().token)

    assert as_customer.error_codes == ["FORBIDDEN"]
    assert anonymous.error_codes == ["UNAUTHENTICATED"]
    assert listing.error_codes == ["FORBIDDEN"]


async def test_changing_and_ending_is_for_staff_and_the_promotions_own_seller(
    products_client: GraphQLClient, catalog: Catalog, shirts: dict[str, Any]
) -> None:
    seller, staff, other = shirts["seller"], catalog.staff(), await catalog.seller()
    sale = (await _create(products_client, seller, name="Sale", discount={"basisPoints": 1000}))[
        "promotion"
    ]
    platform = (
        await _create(products_client, staff, name="Platform", discount={"basisPoints": 500})
    )["promotion"]

    async def end(promotion_id: str, account: Account) -> dict[str, Any]:
        response = await products_client.execute(END, {"id": promotion_id}, token=account.token)
        payload: dict[str, Any] = response.ok()["promotionEnd"]
        return payload

    async def rename(promotion_id: str, account: Account) -> dict[str, Any]:
        response = await products_client.execute(
            UPDATE, {"id": promotion_id, "input": {"name": "Renamed"}}, token=account.token
        )
        payload: dict[str, Any] = response.ok()["promotionUpdate"]
        return payload

    assert _errors(await rename(sale["id"], other)) == [("id", "PERMISSION_DENIED")]
    assert _errors(await end(platform["id"], seller)) == [("id", "PERMISSION_DENIED")]
    assert _errors(await end(str(uuid.uuid4()), staff)) == [("id", "NOT_FOUND")]
    renamed = await rename(sale["id"], seller)
    assert (renamed["errors"], renamed["promotion"]["name"]) == ([], "Renamed")

    ended = await end(sale["id"], staff)
    assert ended["errors"] == []
    assert ended["promotion"]["active"] is False
    assert ended["promotion"]["endedAt"] is not None
    assert _errors(await end(sale["id"], seller)) == [("id", "PROMOTION_ENDED")]
    assert _errors(await rename(sale["id"], seller)) == [("id", "PROMOTION_ENDED")]


async def test_promotions_lists_what_the_caller_manages(
    products_client: GraphQLClient, catalog: Catalog, shirts: dict[str, Any]
) -> None:
    seller, staff = shirts["seller"], catalog.staff()
    await _create(products_client, seller, name="Shop sale", discount={"basisPoints": 1000})
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    await _create(
        products_client, staff, name="Scheduled", discount={"basisPoints": 500}, startsAt=later
    )
    await _create(products_client, staff, name="Platform", discount={"basisPoints": 500})

    async def names(account: Account, **variables: Any) -> list[tuple[str, bool]]:
        response = await products_client.execute(LIST, variables, token=account.token)
        nodes = response.ok()["promotions"]["nodes"]
        return [(node["name"], node["active"]) for node in nodes]

    assert await names(staff) == [("Platform", True), ("Scheduled", False), ("Shop sale", True)]
    assert await names(seller) == [("Shop sale", True)]
    assert await names(staff, active=True) == [("Platform", True), ("Shop sale", True)]
    assert await names(staff, active=False) == [("Scheduled", False)]

    first = (await products_client.execute(LIST, {"first": 2}, token=staff.token)).ok()
    rest = await names(staff, first=2, after=first["promotions"]["pageInfo"]["endCursor"])
    assert first["promotions"]["pageInfo"]["hasNextPage"] is True
    assert rest == [("Shop sale", True)]


@pytest.mark.parametrize("first", [5, 50])
async def test_a_listing_with_promotions_costs_the_same_sql_at_any_page_size_and_none_warm(
    products_client: GraphQLClient, sql_counter: SqlCounter, resources: Resources, first: int
) -> None:
    async with transaction(resources.session_factory) as session:
        await seed(session, SeedOptions(sellers=3, customers=2, products=80, random_seed=7))

    sql_counter.reset()
    cold = (await products_client.execute(LISTING, {"first": first})).ok()
    cold_count = sql_counter.count
    sql_counter.reset()
    warm = (await products_client.execute(LISTING, {"first": first})).ok()

    nodes = cold["products"]["nodes"]
    discounted = [node for node in nodes if node["promotion"] is not None]
    print(f"\nproducts(first: {first}) with {len(discounted)} promoted: {cold_count} statements")
    assert len(nodes) == first
    assert discounted, "the seed's promotions reach some of the page"
    # page, variants, promotions: whatever the page size.
    assert cold_count == 3
    assert sql_counter.count == 0
    assert warm == cold


async def test_an_ended_promotion_is_never_served_from_the_caches(
    products_client: GraphQLClient, catalog: Catalog, shirts: dict[str, Any]
) -> None:
    staff = catalog.staff()
    sale = (await _create(products_client, staff, name="Sale", discount={"basisPoints": 2000}))[
        "promotion"
    ]
    listing = {"first": 10}
    for _ in range(2):  # the entity, listing and promotion caches are warm
        promoted = _summary(await _prices(products_client, shirts["shirt"].id))
        nodes = (await products_client.execute(LISTING, listing)).ok()["products"]["nodes"]
    assert promoted[0] == (1599, 2399)
    assert {node["promotion"]["name"] for node in nodes} == {"Sale"}

    await products_client.execute(END, {"id": sale["id"]}, token=staff.token)

    assert _summary(await _prices(products_client, shirts["shirt"].id)) == (
        (1999, 2999),
        (1999, 2999),
        None,
        [(1999, 1999, None, None), (2999, 2999, None, None)],
    )
    nodes = (await products_client.execute(LISTING, listing)).ok()["products"]["nodes"]
    assert [node["promotion"] for node in nodes] == [None, None]
    assert {node["variants"][0]["discount"] is None for node in nodes} == {True}


async def test_a_promotion_running_out_stops_applying_without_any_write(
    products_client: GraphQLClient,
    catalog: Catalog,
    shirts: dict[str, Any],
    sql_counter: SqlCounter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = datetime.now(UTC)
    await _create(
        products_client,
        catalog.staff(),
        name="One hour",
        discount={"basisPoints": 2000},
        endsAt=(now + timedelta(hours=1)).isoformat(),
    )
    for _ in range(2):
        nodes = (await products_client.execute(LISTING, {"first": 10})).ok()["products"]["nodes"]
        promoted = _summary(await _prices(products_client, shirts["shirt"].id))
    assert promoted[3][0] == (1599, 1999, 400, "One hour")

    # Two hours later, nothing written and the caches as they were.
    monkeypatch.setattr(loaders_module, "now_utc", lambda: now + timedelta(hours=2))
    sql_counter.reset()
    after = _summary(await _prices(products_client, shirts["shirt"].id))
    nodes = (await products_client.execute(LISTING, {"first": 10})).ok()["products"]["nodes"]

    assert sql_counter.count == 0  # all from the caches, priced at the read
    assert after[3] == [(1999, 1999, None, None), (2999, 2999, None, None)]
    assert [node["promotion"] for node in nodes] == [None, None]
