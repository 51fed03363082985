"""What a listing costs in SQL: one statement per relationship, whatever the page size,
and none at all once the cache is warm.

The expected count is in each test's id, and the statements are printed (`pytest -s`).
"""

from __future__ import annotations

import re

import pytest

from domains.kit.db import transaction
from domains.kit.resources import Resources
from domains.kit.seeding import SeedOptions
from domains.products.seed import seed
from tests.domains.products.helpers import delete_cached
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter

LISTING = """
query Listing($first: Int!) {
  products(first: $first, sort: NEWEST) {
    totalCount
    edges { node {
      id name
      category { id name }
      rating { average count }
      images { url altText }
      variants { sku price { amount currency } inventory { quantityAvailable inStock } }
    } }
  }
}
"""

# The page, the total, the open promotions the prices are read with (the seed has live
# ones), and one per relationship: category, rating, images, variants, and the variants'
# inventory.
EXPECTED_STATEMENTS = {
    "products (page)": 1,
    "products (totalCount)": 1,
    "promotions": 1,
    "categories": 1,
    "product_ratings": 1,
    "product_images": 1,
    "variants": 1,
    "inventory": 1,
}


def _kind(statement: str) -> str:
    if "width_bucket" in statement:
        return "products (totalCount)"
    if "FROM products.promotions" in statement:
        return "promotions"
    table = re.search(r"FROM products\.(\w+)", statement)
    assert table is not None, statement
    return "products (page)" if table.group(1) == "products" else table.group(1)


@pytest.fixture
async def seeded(resources: Resources) -> None:
    async with transaction(resources.session_factory) as session:
        await seed(session, SeedOptions(sellers=3, customers=6, products=80, random_seed=7))


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(5, id="first=5 costs 8 statements cold, 0 warm"),
        pytest.param(50, id="first=50 costs 8 statements cold, 0 warm"),
    ],
)
async def test_a_listing_costs_one_statement_per_relationship(
    products_client: GraphQLClient,
    sql_counter: SqlCounter,
    seeded: None,
    first: int,
) -> None:
    sql_counter.reset()
    cold = await products_client.execute(LISTING, {"first": first})
    cold_statements = list(sql_counter.statements)

    sql_counter.reset()
    warm = await products_client.execute(LISTING, {"first": first})
    warm_statements = list(sql_counter.statements)

    edges = cold.ok()["products"]["edges"]
    assert len(edges) == first
    assert all(edge["node"]["variants"] and edge["node"]["images"] for edge in edges)
    kinds: dict[str, int] = {}
    for statement in cold_statements:
        kinds[_kind(statement)] = kinds.get(_kind(statement), 0) + 1
    print(
        f"\nproducts(first: {first}): {len(cold_statements)} SQL statements cold "
        f"({', '.join(f'{kind}: {n}' for kind, n in sorted(kinds.items()))}), "
        f"{len(warm_statements)} warm"
    )
    assert kinds == EXPECTED_STATEMENTS
    assert len(cold_statements) == 8
    assert warm_statements == []
    assert warm.ok() == cold.ok()


async def test_entities_cost_one_statement_per_batch_and_none_when_warm(
    products_client: GraphQLClient, sql_counter: SqlCounter, seeded: None, resources: Resources
) -> None:
    listing = await products_client.execute(LISTING, {"first": 20})
    ids = [edge["node"]["id"] for edge in listing.ok()["products"]["edges"]]
    await delete_cached(resources, "products:*")
    query = """
    query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Product { id name variants { sku inventory { quantityAvailable } } }
      }
    }"""
    representations = [{"__typename": "Product", "id": product_id} for product_id in ids]

    sql_counter.reset()
    cold = await products_client.execute(query, {"representations": representations})
    cold_count = sql_counter.count
    sql_counter.reset()
    warm = await products_client.execute(query, {"representations": representations})

    print(f"\n_entities(20 products): {cold_count} statements cold, {sql_counter.count} warm")
    assert [entity["id"] for entity in cold.ok()["_entities"]] == ids
    assert cold_count == 3  # products, variants, inventory
    assert sql_counter.count == 0
    assert warm.ok() == cold.ok()


SEARCH = """
query Search($first: Int!) {
  products(first: $first, filter: {search: "cotton"}, sort: RELEVANCE) {
    totalCount
    totalCountIsExact
    edges { node { id name rating { average count } } }
    facets { inStock outOfStock complete categories { category { slug } count } }
  }
}
"""


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(2, id="first=2 costs the same statements as first=40"),
        pytest.param(40, id="first=40 costs the same statements as first=2"),
    ],
)
async def test_a_search_costs_the_same_statements_whatever_the_page_size(
    products_client: GraphQLClient, sql_counter: SqlCounter, seeded: None, first: int
) -> None:
    sql_counter.reset()
    cold = await products_client.execute(SEARCH, {"first": first})
    kinds: dict[str, int] = {}
    for statement in sql_counter.statements:
        kinds[_kind(statement)] = kinds.get(_kind(statement), 0) + 1
    sql_counter.reset()
    await products_client.execute(SEARCH, {"first": first})

    assert cold.ok()["products"]["edges"]
    # The ranked page, the count with the facets, their categories, the ratings.
    assert kinds == {
        "products (page)": 1,
        "products (totalCount)": 1,
        "categories": 1,
        "product_ratings": 1,
    }
    assert sql_counter.count == 0
