"""Bounded search: totalCount counts up to a limit and says whether it is exact, facets
count the best matches, and RELEVANCE ranks the first matches; on a catalog smaller than
the limits every answer is exact, in the same order as a full ranking."""

from __future__ import annotations

from typing import Any

import pytest

from domains.products.config import SearchLimits
from domains.products.search import service
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.graphql import GraphQLClient

SEARCH = """
query Search($first: Int, $after: String, $filter: ProductFilterInput, $sort: ProductSort) {
  products(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount
    totalCountIsExact
    pageInfo { hasNextPage endCursor }
    edges { node { name } }
    facets { inStock outOfStock complete categories { count } }
  }
}
"""


def _limit(monkeypatch: pytest.MonkeyPatch, *, count: int, best: int) -> None:
    monkeypatch.setattr(service, "search_limits", lambda: SearchLimits(count=count, best=best))


async def _search(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    response = await client.execute(SEARCH, {"first": 100, **variables})
    result: dict[str, Any] = response.ok()["products"]
    return result


async def _linen_catalog(catalog: Catalog, products: int) -> None:
    seller = await catalog.seller()
    for n in range(products):
        await catalog.product(
            seller,
            f"Linen Shirt {n}",
            variants=[VariantSpec(catalog.next_sku(), price=1_000, stock=n % 2)],
        )
    await catalog.product(seller, "Oak Stool")


async def test_the_count_stops_at_the_limit_and_says_it_is_not_exact(
    products_client: GraphQLClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, count=5, best=100)
    await _linen_catalog(catalog, 7)

    over = await _search(products_client, filter={"search": "linen"})
    browse = await _search(products_client)
    at_limit = await _search(products_client, filter={"search": "linen", "inStock": False})

    assert (over["totalCount"], over["totalCountIsExact"]) == (5, False)
    assert len(over["edges"]) == 7  # the pages are not cut by the count
    assert (browse["totalCount"], browse["totalCountIsExact"]) == (5, False)
    # Four out of stock (0, 2, 4, 6): under the limit, so exact.
    assert (at_limit["totalCount"], at_limit["totalCountIsExact"]) == (4, True)


async def test_under_the_limits_count_and_facets_are_exact(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    await _linen_catalog(catalog, 7)

    found = await _search(products_client, filter={"search": "linen"})

    assert (found["totalCount"], found["totalCountIsExact"]) == (7, True)
    assert found["facets"]["complete"] is True
    assert (found["facets"]["inStock"], found["facets"]["outOfStock"]) == (3, 4)


async def test_facets_count_the_best_matches_only(
    products_client: GraphQLClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, count=100, best=3)
    await _linen_catalog(catalog, 7)

    searched = await _search(products_client, filter={"search": "linen"})
    browsed = await _search(products_client)

    assert (searched["totalCount"], searched["totalCountIsExact"]) == (7, True)
    facets = searched["facets"]
    assert facets["inStock"] + facets["outOfStock"] == 3
    assert facets["complete"] is False
    assert browsed["totalCount"] == 8
    assert browsed["facets"]["inStock"] + browsed["facets"]["outOfStock"] == 3
    assert browsed["facets"]["complete"] is False


async def test_relevance_ranks_the_first_best_matches_and_pages_end_there(
    products_client: GraphQLClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, count=100, best=4)
    await _linen_catalog(catalog, 7)

    first = await _search(products_client, first=3, filter={"search": "linen"})
    after = first["pageInfo"]["endCursor"]
    second = await _search(products_client, first=3, after=after, filter={"search": "linen"})
    by_price = await _search(products_client, filter={"search": "linen"}, sort="PRICE_ASC")

    assert len(first["edges"]) == 3
    assert first["pageInfo"]["hasNextPage"]
    assert len(second["edges"]) == 1
    assert not second["pageInfo"]["hasNextPage"]
    assert len(by_price["edges"]) == 7  # other orders walk every match


async def test_on_a_small_catalog_relevance_order_is_the_full_ranking(
    products_client: GraphQLClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    seller = await catalog.seller()
    await catalog.product(seller, "Oak Stool", description="A linen cushion on top.")
    await catalog.product(seller, "Linen Shirt", description="Breezy linen, light.")
    await catalog.product(seller, "Linen Linen Tea Towel", description="Linen.")
    await catalog.product(seller, "Napkins", description="Linen napkins, linen thread.")
    await catalog.product(seller, "Wool Sweater", description="Warm.")
    unbounded = [
        edge["node"]["name"]
        for edge in (await _search(products_client, filter={"search": "linen"}))["edges"]
    ]
    _limit(monkeypatch, count=4, best=4)

    bounded = await _search(products_client, filter={"search": "linen"})

    assert len(unbounded) == 4
    assert [edge["node"]["name"] for edge in bounded["edges"]] == unbounded
