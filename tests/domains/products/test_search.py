"""products(first, after, filter, sort): search, filters, sorts, cursors, facets, caching."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domains.kit.resources import Resources
from tests.domains.products.helpers import Account, Catalog, VariantSpec
from tests.support.graphql import GraphQLClient

LISTING = """
query Listing($first: Int, $after: String, $filter: ProductFilterInput, $sort: ProductSort) {
  products(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name } }
  }
}
"""

FACETS = """
query Facets($filter: ProductFilterInput) {
  products(first: 1, filter: $filter) {
    totalCount
    facets {
      inStock outOfStock
      categories { category { slug } count }
      priceBands { min max count }
    }
  }
}
"""


async def _names(client: GraphQLClient, token: str | None = None, **variables: Any) -> list[str]:
    response = await client.execute(LISTING, {"first": 100, **variables}, token=token)
    return [edge["node"]["name"] for edge in response.ok()["products"]["edges"]]


def _at(minutes: int) -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)


async def test_search_ranks_name_matches_above_description_matches(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    await catalog.product(seller, "Oak Stool", description="A linen cushion on top.")
    await catalog.product(seller, "Linen Shirt", description="Breezy and light.")
    await catalog.product(seller, "Wool Sweater", description="Warm.")

    names = await _names(products_client, filter={"search": "linen"})

    assert names == ["Linen Shirt", "Oak Stool"]


async def test_search_tolerates_typos_in_names(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    await catalog.product(seller, "Merino Sweater")
    await catalog.product(seller, "Waterproof Parka")
    await catalog.product(seller, "Canvas Tote")

    assert await _names(products_client, filter={"search": "merino swater"}) == ["Merino Sweater"]
    assert await _names(products_client, filter={"search": "wterproof"}) == ["Waterproof Parka"]
    assert await _names(products_client, filter={"search": "zzzz qqqq"}) == []


async def test_search_corrects_short_misspelt_words_from_the_name_vocabulary(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    await catalog.product(seller, "Slim Jeans", created_at=_at(1))
    await catalog.product(seller, "Wool Scarf", created_at=_at(2))
    await catalog.product(seller, "Oak Stool", description="Wood, oiled.", created_at=_at(3))

    assert await _names(products_client, filter={"search": "jeens"}) == ["Slim Jeans"]
    assert await _names(products_client, filter={"search": "wol"}) == ["Wool Scarf"]
    assert await _names(products_client, filter={"search": "slim jeens"}) == ["Slim Jeans"]
    # Every word must still match: a correction widens a word, never drops one.
    assert await _names(products_client, filter={"search": "wol jeens"}) == []
    # A word some name holds is taken as meant: "wool" does not widen to "wood".
    assert await _names(products_client, filter={"search": "wool"}) == ["Wool Scarf"]


async def test_exact_matches_rank_above_corrected_ones(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    await catalog.product(seller, "Jeen Jacket", created_at=_at(1))
    await catalog.product(seller, "Slim Jeans", created_at=_at(2))
    await catalog.product(seller, "Jean Shorts", created_at=_at(3))

    # "jeens" is no word of a name: it stands for its near words, "jeen" among them.
    assert set(await _names(products_client, filter={"search": "jeens"})) == {
        "Jeen Jacket",
        "Slim Jeans",
        "Jean Shorts",
    }
    # Words that names hold are searched as spelt, and the exact match leads.
    assert (await _names(products_client, filter={"search": "jeen"}))[0] == "Jeen Jacket"
    # "jeans" and "jean" share a stem; the vocabulary adds nothing to a known word.
    assert set(await _names(products_client, filter={"search": "jeans"})) == {
        "Slim Jeans",
        "Jean Shorts",
    }


async def test_category_filter_includes_descendants(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    clothing = await catalog.category("Clothing")
    shirts = await catalog.category("Shirts", parent=clothing)
    oxford = await catalog.category("Oxford", parent=shirts)
    home = await catalog.category("Home")
    await catalog.product(seller, "Plain Shirt", category_id=shirts, created_at=_at(3))
    await catalog.product(seller, "Oxford Shirt", category_id=oxford, created_at=_at(2))
    await catalog.product(seller, "Jacket", category_id=clothing, created_at=_at(1))
    await catalog.product(seller, "Lamp", category_id=home)

    under_clothing = await _names(
        products_client, filter={"categoryId": str(clothing)}, sort="NEWEST"
    )
    under_shirts = await _names(products_client, filter={"categoryId": str(shirts)}, sort="NEWEST")

    assert under_clothing == ["Plain Shirt", "Oxford Shirt", "Jacket"]
    assert under_shirts == ["Plain Shirt", "Oxford Shirt"]


async def _priced_catalog(catalog: Catalog) -> tuple[Account, Account]:
    seller, other = await catalog.seller(), await catalog.seller()
    for name, price, stock, owner, minute in [
        ("Pencil", 300, 0, seller, 1),
        ("Notebook", 1_200, 5, seller, 2),
        ("Lamp", 4_999, 2, other, 3),
        ("Chair", 30_000, 1, other, 4),
    ]:
        await catalog.product(
            owner,
            name,
            variants=[VariantSpec(catalog.next_sku(), price=price, stock=stock)],
            created_at=_at(minute),
        )
    return seller, other


async def test_filters_on_seller_price_and_stock(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller, _ = await _priced_catalog(catalog)

    by_seller = await _names(
        products_client, filter={"sellerId": str(seller.seller_id)}, sort="NEWEST"
    )
    by_price = await _names(
        products_client, filter={"minPrice": 1_000, "maxPrice": 4_999}, sort="PRICE_ASC"
    )
    in_stock = await _names(products_client, filter={"inStock": True}, sort="PRICE_ASC")
    sold_out = await _names(products_client, filter={"inStock": False})
    in_euros = await _names(products_client, filter={"currency": "eur"})

    assert by_seller == ["Notebook", "Pencil"]
    assert by_price == ["Notebook", "Lamp"]
    assert in_stock == ["Notebook", "Lamp", "Chair"]
    assert sold_out == ["Pencil"]
    assert in_euros == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("PRICE_ASC", ["Pencil", "Notebook", "Lamp", "Chair"]),
        ("PRICE_DESC", ["Chair", "Lamp", "Notebook", "Pencil"]),
        ("NEWEST", ["Chair", "Lamp", "Notebook", "Pencil"]),
        ("RELEVANCE", ["Chair", "Lamp", "Notebook", "Pencil"]),  # no search text: newest
    ],
)
async def test_sorts(
    products_client: GraphQLClient, catalog: Catalog, sort: str, expected: list[str]
) -> None:
    await _priced_catalog(catalog)

    assert await _names(products_client, sort=sort) == expected


async def test_rating_sort_puts_the_best_reviewed_first(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    good = await catalog.product(seller, "Good", created_at=_at(1))
    great = await catalog.product(seller, "Great", created_at=_at(2))
    await catalog.product(seller, "Unrated", created_at=_at(3))
    popular = await catalog.product(seller, "Great and popular", created_at=_at(4))
    for product, ratings in [(good, [4]), (great, [5]), (popular, [5, 5])]:
        for rating in ratings:
            await catalog.review(catalog.customer(), product.id, rating)

    assert await _names(products_client, sort="RATING") == [
        "Great and popular",
        "Great",
        "Good",
        "Unrated",
    ]


@pytest.mark.parametrize("sort", ["NEWEST", "PRICE_ASC", "PRICE_DESC", "RATING", "RELEVANCE"])
async def test_cursors_walk_every_product_exactly_once(
    products_client: GraphQLClient, catalog: Catalog, sort: str
) -> None:
    seller = await catalog.seller()
    for n in range(7):
        # Equal prices and timestamps in pairs: the id breaks ties, or pages would overlap.
        await catalog.product(
            seller,
            f"Linen Shirt {n}",
            variants=[VariantSpec(catalog.next_sku(), price=1000 + (n // 2) * 100)],
            created_at=_at(n // 2),
        )
    search = {"search": "linen shirt"} if sort == "RELEVANCE" else None
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        response = await products_client.execute(
            LISTING, {"first": 3, "after": after, "sort": sort, "filter": search}
        )
        connection = response.ok()["products"]
        seen += [edge["node"]["name"] for edge in connection["edges"]]
        assert connection["totalCount"] == 7
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]

    assert pages == 3
    assert sorted(seen) == [f"Linen Shirt {n}" for n in range(7)]
    assert seen == await _names(products_client, sort=sort, filter=search)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 101}, "`first` must be between 0 and 100 (got 101)."),
        ({"first": -1}, "`first` must be between 0 and 100 (got -1)."),
        ({"after": "not-a-cursor"}, "The cursor 'not-a-cursor' is malformed."),
        (
            {"after": base64.urlsafe_b64encode(b'["Product:NEWEST",["x","y"]]').decode()},
            "The cursor 'WyJQcm9kdWN0Ok5FV0VTVCIsWyJ4IiwieSJdXQ==' is malformed.",
        ),
        ({"filter": {"minPrice": -5}}, "`filter.minPrice` must not be negative (got -5)."),
        (
            {"filter": {"minPrice": 10, "maxPrice": 5}},
            "`filter.minPrice` must not exceed `filter.maxPrice`.",
        ),
        (
            {"filter": {"currency": "ABC"}},
            "`filter.currency`: 'ABC' is not an ISO 4217 currency code.",
        ),
        ({"filter": {"categoryId": "nope"}}, "`filter.categoryId`: 'nope' is not a valid ID."),
    ],
)
async def test_bad_listing_arguments_are_clear_errors(
    products_client: GraphQLClient, catalog: Catalog, variables: dict[str, Any], message: str
) -> None:
    await catalog.product(await catalog.seller())

    response = await products_client.execute(LISTING, variables)

    assert response.data is None
    assert response.error_codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["message"] == message


async def test_a_cursor_from_another_sort_is_refused(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    for n in range(2):
        await catalog.product(seller, f"Shirt {n}")
    newest = await products_client.execute(LISTING, {"first": 1, "sort": "NEWEST"})
    cursor = newest.ok()["products"]["pageInfo"]["endCursor"]
    assert json.loads(base64.urlsafe_b64decode(cursor + "=="))[0] == "Product:NEWEST"

    response = await products_client.execute(LISTING, {"after": cursor, "sort": "PRICE_ASC"})

    assert response.error_codes == ["BAD_USER_INPUT"]


async def test_facets_count_the_current_filter(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    clothing = await catalog.category("Clothing")
    shirts = await catalog.category("Shirts", parent=clothing)
    home = await catalog.category("Home")
    for name, category, price, stock in [
        ("Linen Shirt", shirts, 2_500, 3),
        ("Linen Trousers", clothing, 6_000, 0),
        ("Linen Napkins", home, 900, 12),
        ("Oak Table", home, 45_000, 1),
    ]:
        await catalog.product(
            seller,
            name,
            category_id=category,
            variants=[VariantSpec(catalog.next_sku(), price=price, stock=stock)],
        )

    response = await products_client.execute(FACETS, {"filter": {"search": "linen"}})

    products = response.ok()["products"]
    assert products["totalCount"] == 3
    assert products["facets"] == {
        "inStock": 2,
        "outOfStock": 1,
        "categories": [
            {"category": {"slug": "clothing"}, "count": 2},
            {"category": {"slug": "home"}, "count": 1},
            {"category": {"slug": "shirts"}, "count": 1},
        ],
        "priceBands": [
            {"min": 0, "max": 999, "count": 1},
            {"min": 2500, "max": 4999, "count": 1},
            {"min": 5000, "max": 9999, "count": 1},
        ],
    }
    # A band's bounds plug straight back into the filter.
    band = await _names(
        products_client, filter={"search": "linen", "minPrice": 2500, "maxPrice": 4999}
    )
    assert band == ["Linen Shirt"]


async def test_only_staff_or_the_shop_itself_list_other_statuses(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    await catalog.product(seller, "Live", created_at=_at(2))
    await catalog.product(seller, "Draft", status="DRAFT", created_at=_at(1))
    mine = {"sellerId": str(seller.seller_id), "statuses": ["DRAFT", "ACTIVE"]}

    public = await _names(products_client, sort="NEWEST")
    as_owner = await _names(products_client, seller.token, filter=mine, sort="NEWEST")
    as_staff = await _names(products_client, catalog.staff().token, filter={"statuses": ["DRAFT"]})
    as_stranger = await products_client.execute(
        LISTING, {"filter": mine}, token=catalog.customer().token
    )

    assert public == ["Live"]
    assert as_owner == ["Live", "Draft"]
    assert as_staff == ["Draft"]
    assert as_stranger.error_codes == ["FORBIDDEN"]


async def test_a_write_is_visible_in_the_next_listing_despite_the_listing_cache(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    shirt = await catalog.product(seller, "Linen Shirt", variants=[VariantSpec("S-1", stock=1)])
    assert await _names(products_client, filter={"search": "linen", "inStock": True}) == [
        "Linen Shirt"
    ]
    assert await _names(products_client, filter={"search": "linen", "inStock": True}) == [
        "Linen Shirt"
    ]

    archive = "mutation($id: ID!) { productArchive(id: $id) { errors { code } } }"
    await products_client.execute(archive, {"id": str(shirt.id)}, token=seller.token)

    assert await _names(products_client, filter={"search": "linen", "inStock": True}) == []


@pytest.mark.parametrize(
    ("sort", "priced_first"), [("PRICE_ASC", ["Cheap", "Dear"]), ("PRICE_DESC", ["Dear", "Cheap"])]
)
async def test_products_without_a_price_come_last_and_cursors_still_walk_them(
    products_client: GraphQLClient, catalog: Catalog, sort: str, priced_first: list[str]
) -> None:
    seller = await catalog.seller()
    await catalog.product(seller, "Cheap", variants=[VariantSpec(catalog.next_sku(), price=100)])
    await catalog.product(seller, "Dear", variants=[VariantSpec(catalog.next_sku(), price=900)])
    for n in (1, 2):
        await catalog.product(seller, f"No price {n}", status="DRAFT", variants=[])
    staff = catalog.staff().token
    everything = {"statuses": ["ACTIVE", "DRAFT"]}

    seen: list[str] = []
    after = None
    while True:
        response = await products_client.execute(
            LISTING, {"first": 1, "after": after, "sort": sort, "filter": everything}, token=staff
        )
        connection = response.ok()["products"]
        seen += [edge["node"]["name"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]

    # Products without a price tie; the id orders them, in the order's own direction.
    assert seen[:2] == priced_first
    assert sorted(seen[2:]) == ["No price 1", "No price 2"]
