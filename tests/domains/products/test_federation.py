"""The subgraph's federation surface: its entities, and the stubs it returns and extends."""

from __future__ import annotations

import uuid
from typing import Any

from domains.kit.resources import Resources
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.graphql import GraphQLClient

ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Product { id name seller { __typename id } }
    ... on ProductVariant { id sku }
    ... on Category { id slug children { slug } }
    ... on Review { id rating author { __typename id } product { id } }
  }
}
"""


async def _entities(client: GraphQLClient, *representations: dict[str, Any]) -> list[Any]:
    response = await client.execute(ENTITIES, {"representations": list(representations)})
    entities: list[Any] = response.ok()["_entities"]
    return entities


async def test_product_variant_category_and_review_resolve_by_their_keys(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    parent = await catalog.category("Clothing")
    await catalog.category("Shirts", parent=parent)
    product = await catalog.product(seller, "Linen Shirt", variants=[VariantSpec("LS-1")])
    variant_id = (await catalog.variant_ids(product.id))[0]
    author = catalog.customer()
    review_id = await catalog.review(author, product.id, 4)

    entities = await _entities(
        products_client,
        {"__typename": "Product", "id": str(product.id)},
        {"__typename": "ProductVariant", "id": str(variant_id)},
        {"__typename": "ProductVariant", "sku": "ls-1"},
        {"__typename": "Category", "id": str(parent)},
        {"__typename": "Review", "id": str(review_id)},
        {"__typename": "Product", "id": str(uuid.uuid4())},
    )

    assert entities == [
        {
            "__typename": "Product",
            "id": str(product.id),
            "name": "Linen Shirt",
            "seller": {"__typename": "SellerProfile", "id": str(seller.seller_id)},
        },
        {"__typename": "ProductVariant", "id": str(variant_id), "sku": "LS-1"},
        {"__typename": "ProductVariant", "id": str(variant_id), "sku": "LS-1"},
        {
            "__typename": "Category",
            "id": str(parent),
            "slug": "clothing",
            "children": [{"slug": "shirts"}],
        },
        {
            "__typename": "Review",
            "id": str(review_id),
            "rating": 4,
            "author": {"__typename": "User", "id": str(author.user_id)},
            "product": {"id": str(product.id)},
        },
        None,
    ]


async def test_draft_products_resolve_only_for_their_seller(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    draft = await catalog.product(seller, "Secret", status="DRAFT")
    representation = {"__typename": "Product", "id": str(draft.id)}

    public = await _entities(products_client, representation)
    owner = await products_client.execute(
        ENTITIES, {"representations": [representation]}, token=seller.token
    )

    assert public == [None]
    assert owner.ok()["_entities"][0]["name"] == "Secret"


async def test_seller_profiles_gain_their_products(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller, other, empty = await catalog.seller(), await catalog.seller(), await catalog.seller()
    for n in range(3):
        await catalog.product(seller, f"Mine {n}")
    await catalog.product(seller, "Draft", status="DRAFT")
    await catalog.product(other, "Theirs")
    query = """
    query($representations: [_Any!]!, $after: String) {
      _entities(representations: $representations) {
        ... on SellerProfile { id products(first: 2, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } nodes { name }
          facets { inStock }
        } }
      }
    }"""
    representations = [
        {"__typename": "SellerProfile", "id": str(account.seller_id)}
        for account in (seller, other, empty)
    ]

    response = await products_client.execute(query, {"representations": representations})

    mine, theirs, none = response.ok()["_entities"]
    assert mine["products"]["totalCount"] == 3
    assert len(mine["products"]["nodes"]) == 2
    assert mine["products"]["pageInfo"]["hasNextPage"] is True
    assert mine["products"]["facets"] == {"inStock": 3}
    assert theirs["products"]["nodes"] == [{"name": "Theirs"}]
    assert none["products"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [],
        "facets": {"inStock": 0},
    }
    rest = await products_client.execute(
        query,
        {
            "representations": representations[:1],
            "after": mine["products"]["pageInfo"]["endCursor"],
        },
    )
    last = rest.ok()["_entities"][0]["products"]
    seen = [node["name"] for node in mine["products"]["nodes"] + last["nodes"]]
    assert sorted(seen) == ["Mine 0", "Mine 1", "Mine 2"]
    assert last["pageInfo"]["hasNextPage"] is False


async def test_users_gain_their_reviews(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    author, quiet = catalog.customer(), catalog.customer()
    for n in range(3):
        product = await catalog.product(seller, f"Thing {n}")
        await catalog.review(author, product.id, n + 3)
    query = """
    query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on User { id reviews(first: 2) { rating author { id } } }
      }
    }"""

    response = await products_client.execute(
        query,
        {
            "representations": [
                {"__typename": "User", "id": str(author.user_id)},
                {"__typename": "User", "id": str(quiet.user_id)},
            ]
        },
    )

    reviews, nothing = response.ok()["_entities"]
    assert len(reviews["reviews"]) == 2
    assert all(review["author"] == {"id": str(author.user_id)} for review in reviews["reviews"])
    assert nothing == {"id": str(quiet.user_id), "reviews": []}


async def test_the_category_tree(products_client: GraphQLClient, catalog: Catalog) -> None:
    clothing = await catalog.category("Clothing")
    await catalog.category("Shirts", parent=clothing)
    await catalog.category("Home")
    query = """
    { categories { slug parent { slug } children { slug parent { slug } children { slug } } } }
    """

    response = await products_client.execute(query)

    assert sorted(response.ok()["categories"], key=lambda c: c["slug"]) == [
        {
            "slug": "clothing",
            "parent": None,
            "children": [{"slug": "shirts", "parent": {"slug": "clothing"}, "children": []}],
        },
        {"slug": "home", "parent": None, "children": []},
    ]
    by_slug = await products_client.execute('{ category(slug: "shirts") { id parent { slug } } }')
    assert by_slug.ok()["category"]["parent"] == {"slug": "clothing"}
