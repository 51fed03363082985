"""reviewCreate and reviewDelete, and the product rating they keep."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from domains.kit.auth import Role
from domains.kit.resources import Resources
from domains.products.models import ProductRating, Review
from tests.domains.products.helpers import Catalog, count_rows, table_snapshot
from tests.support.graphql import GraphQLClient, GraphQLResponse

CREATE = """
mutation Review($productId: ID!, $input: ReviewCreateInput!) {
  reviewCreate(productId: $productId, input: $input) {
    review {
      id rating title body verifiedPurchase author { id }
      product { id rating { average count } }
    }
    errors { field code message }
  }
}
"""

DELETE = """
mutation Delete($id: ID!) {
  reviewDelete(id: $id) { review { id } errors { field code message } }
}
"""

RATING = "query($id: ID!) { product(id: $id) { rating { average count } } }"


async def _review(
    client: GraphQLClient, token: str | None, product_id: Any, rating: int = 5, **more: Any
) -> GraphQLResponse:
    return await client.execute(
        CREATE,
        {"productId": str(product_id), "input": {"rating": rating, "title": "Great", **more}},
        token=token,
    )


async def _rating(resources: Resources, product_id: uuid.UUID) -> tuple[int, int]:
    async with resources.session_factory() as session:
        row = await session.get(ProductRating, product_id)
        assert row is not None
        return row.review_count, row.rating_total


async def test_a_review_updates_the_rating_in_the_same_transaction(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    product = await catalog.product(await catalog.seller())
    alice, bob = catalog.customer(), catalog.customer()
    await products_client.execute(RATING, {"id": str(product.id)})  # warm the cache

    first = await _review(products_client, alice.token, product.id, 5, body="  Soft.  ")
    second = await _review(products_client, bob.token, product.id, 2)

    review = first.ok()["reviewCreate"]["review"]
    assert review["rating"] == 5
    assert review["body"] == "Soft."
    assert review["verifiedPurchase"] is False
    assert review["author"] == {"id": str(alice.user_id)}
    assert second.ok()["reviewCreate"]["review"]["product"]["rating"] == {
        "average": 3.5,
        "count": 2,
    }
    assert await _rating(resources, product.id) == (2, 7)
    fresh = await products_client.execute(RATING, {"id": str(product.id)})
    assert fresh.ok()["product"]["rating"] == {"average": 3.5, "count": 2}


@pytest.mark.parametrize("rating", [0, 6])
async def test_a_rating_outside_one_to_five_is_refused(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources, rating: int
) -> None:
    product = await catalog.product(await catalog.seller())
    before = await table_snapshot(resources)

    response = await _review(products_client, catalog.customer().token, product.id, rating)

    assert response.ok()["reviewCreate"] == {
        "review": None,
        "errors": [
            {
                "field": "rating",
                "code": "INVALID_RATING",
                "message": f"A rating is 1 to 5 stars (got {rating}).",
            }
        ],
    }
    assert await table_snapshot(resources) == before


async def test_a_second_review_by_the_same_author_is_refused(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    product = await catalog.product(await catalog.seller())
    author = catalog.customer()
    assert (await _review(products_client, author.token, product.id, 4)).ok()["reviewCreate"][
        "errors"
    ] == []
    before = await table_snapshot(resources)

    again = await _review(products_client, author.token, product.id, 1)

    assert again.ok()["reviewCreate"]["errors"] == [
        {
            "field": "productId",
            "code": "ALREADY_REVIEWED",
            "message": "You have already reviewed this product.",
        }
    ]
    assert await table_snapshot(resources) == before


async def test_concurrent_reviews_by_one_author_count_once(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    product = await catalog.product(await catalog.seller())
    author = catalog.customer()

    responses = await asyncio.gather(
        *(_review(products_client, author.token, product.id, 4) for _ in range(5))
    )

    codes = sorted(error["code"] for r in responses for error in r.ok()["reviewCreate"]["errors"])
    assert codes == ["ALREADY_REVIEWED"] * 4
    assert await count_rows(resources, Review) == 1
    assert await _rating(resources, product.id) == (1, 4)


async def test_who_may_review_what(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    active = await catalog.product(seller, "Active")
    draft = await catalog.product(seller, "Draft", status="DRAFT")
    archived = await catalog.product(seller, "Archived", status="ARCHIVED")
    before = await table_snapshot(resources)

    anonymous = await _review(products_client, None, active.id)
    own = await _review(products_client, seller.token, active.id)
    on_draft = await _review(products_client, catalog.customer().token, draft.id)
    on_archived = await _review(products_client, catalog.customer().token, archived.id)
    unknown = await _review(products_client, catalog.customer().token, uuid.uuid4())
    no_customer_role = await _review(products_client, catalog.account(Role.STAFF).token, active.id)

    assert anonymous.error_codes == ["UNAUTHENTICATED"]
    assert own.ok()["reviewCreate"]["errors"] == [
        {
            "field": "productId",
            "code": "CANNOT_REVIEW",
            "message": "Sellers cannot review their own products.",
        }
    ]
    assert [e["code"] for e in on_draft.ok()["reviewCreate"]["errors"]] == ["NOT_FOUND"]
    assert [e["code"] for e in on_archived.ok()["reviewCreate"]["errors"]] == ["CANNOT_REVIEW"]
    assert [e["code"] for e in unknown.ok()["reviewCreate"]["errors"]] == ["NOT_FOUND"]
    assert no_customer_role.error_codes == ["FORBIDDEN"]
    assert await table_snapshot(resources) == before


async def test_title_is_required_and_lengths_are_checked(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    product = await catalog.product(await catalog.seller())

    response = await _review(
        products_client, catalog.customer().token, product.id, 3, title="  ", body="x" * 5001
    )

    assert {(e["field"], e["code"]) for e in response.ok()["reviewCreate"]["errors"]} == {
        ("title", "REQUIRED"),
        ("body", "TOO_LONG"),
    }


async def test_the_author_or_staff_can_delete_a_review_and_the_rating_follows(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    product = await catalog.product(await catalog.seller())
    alice, bob = catalog.customer(), catalog.customer()
    alices = await catalog.review(alice, product.id, 5)
    bobs = await catalog.review(bob, product.id, 1)
    before = await table_snapshot(resources)

    stranger = await products_client.execute(DELETE, {"id": str(alices)}, token=bob.token)
    assert stranger.error_codes == ["FORBIDDEN"]
    assert await table_snapshot(resources) == before

    by_author = await products_client.execute(DELETE, {"id": str(alices)}, token=alice.token)
    by_staff = await products_client.execute(DELETE, {"id": str(bobs)}, token=catalog.staff().token)
    gone = await products_client.execute(DELETE, {"id": str(alices)}, token=alice.token)

    assert by_author.ok()["reviewDelete"]["review"] == {"id": str(alices)}
    assert by_staff.ok()["reviewDelete"]["errors"] == []
    assert gone.ok()["reviewDelete"]["errors"] == [
        {"field": "id", "code": "NOT_FOUND", "message": "No such review."}
    ]
    assert await _rating(resources, product.id) == (0, 0)
    rating = await products_client.execute(RATING, {"id": str(product.id)})
    assert rating.ok()["product"]["rating"] == {"average": None, "count": 0}


async def test_product_reviews_page_newest_first(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    product = await catalog.product(await catalog.seller())
    ids = [await catalog.review(catalog.customer(), product.id, rating) for rating in (1, 2, 3)]
    query = """
    query($id: ID!, $after: String) {
      product(id: $id) { reviews(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { id rating }
      } }
    }"""

    first = (await products_client.execute(query, {"id": str(product.id)})).ok()
    page = first["product"]["reviews"]
    second = (
        await products_client.execute(
            query, {"id": str(product.id), "after": page["pageInfo"]["endCursor"]}
        )
    ).ok()["product"]["reviews"]

    async with resources.session_factory() as session:
        newest_first = (
            await session.scalars(
                select(Review.id).order_by(Review.created_at.desc(), Review.id.desc())
            )
        ).all()
    assert sorted(str(i) for i in ids) == sorted(str(i) for i in newest_first)
    assert page["totalCount"] == 3
    assert page["pageInfo"]["hasNextPage"] is True
    assert [n["id"] for n in page["nodes"] + second["nodes"]] == [str(i) for i in newest_first]
    assert second["pageInfo"]["hasNextPage"] is False
