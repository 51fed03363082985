"""Seller profiles: opening a shop, editing it, finding it, listing them page by page."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import jwt
from sqlalchemy import func, select

from domains.kit.errors import quoted
from domains.kit.pagination import encode_cursor
from domains.kit.resources import Resources
from domains.users.models import SellerProfile, User
from tests.domains.users.helpers import (
    Account,
    create_account,
    get_user,
    insert_seller_profile,
    insert_user,
    refresh,
    start_session,
)
from tests.support.graphql import GraphQLClient

PROFILE_CREATE = """
mutation Create($input: SellerProfileCreateInput!) {
  sellerProfileCreate(input: $input) {
    sellerProfile { id shopName slug description user { id roles } }
    errors { field code message }
  }
}
"""

PROFILE_UPDATE = """
mutation Update($id: ID, $input: SellerProfileUpdateInput!) {
  sellerProfileUpdate(id: $id, input: $input) {
    sellerProfile { id shopName slug description }
    errors { field code message }
  }
}
"""

SELLERS = """
query Sellers($first: Int, $after: String) {
  sellers(first: $first, after: $after) {
    edges { cursor node { id slug } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}
"""


async def _create(client: GraphQLClient, account: Account | str, **input: Any) -> dict[str, Any]:
    token = account if isinstance(account, str) else account.access_token
    response = await client.execute(PROFILE_CREATE, {"input": input}, token=token)
    payload: dict[str, Any] = response.ok()["sellerProfileCreate"]
    return payload


async def _profiles(resources: Resources) -> list[tuple[str, str, str, str]]:
    """(user id, shop name, slug, description) of every profile, by slug."""
    async with resources.session_factory() as session:
        rows = await session.scalars(select(SellerProfile).order_by(SellerProfile.slug))
        return [(str(r.user_id), r.shop_name, r.slug, r.description) for r in rows]


async def test_opening_a_shop_grants_the_seller_role_on_the_next_refresh(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    session = await start_session(resources, user_id)

    payload = await _create(
        users_client, session.access_token, shopName="  Ada's Analytical Engines! "
    )

    assert payload["errors"] == []
    profile = payload["sellerProfile"]
    assert profile["shopName"] == "Ada's Analytical Engines!"
    assert profile["slug"] == "ada-s-analytical-engines"
    assert profile["description"] == ""
    assert profile["user"] == {"id": str(user_id), "roles": ["CUSTOMER", "SELLER"]}
    assert (await get_user(resources, user_id)).roles == ["CUSTOMER", "SELLER"]
    assert await _profiles(resources) == [
        (str(user_id), "Ada's Analytical Engines!", "ada-s-analytical-engines", "")
    ]
    # The access token in hand predates the role; a refreshed one carries it.
    old_claims = jwt.decode(session.access_token, options={"verify_signature": False})
    assert old_claims["roles"] == ["CUSTOMER"]
    refreshed = await refresh(users_client, session.refresh_token)
    assert refreshed["errors"] == []
    assert refreshed["user"]["roles"] == ["CUSTOMER", "SELLER"]
    new_claims = jwt.decode(refreshed["accessToken"], options={"verify_signature": False})
    assert new_claims["roles"] == ["CUSTOMER", "SELLER"]
    # ... and names the shop, so other domains can check ownership without asking users.
    assert "shop" not in old_claims
    assert new_claims["shop"] == profile["id"]


async def test_explicit_slug_is_validated(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")

    spaces = await _create(users_client, ada, shopName="Corner", slug="Bad Slug!")
    short = await _create(users_client, ada, shopName="Corner", slug="ab")
    double_hyphen = await _create(users_client, ada, shopName="Corner", slug="a--b")
    upper = await _create(users_client, ada, shopName="Corner", slug=" Corner-Shop ")

    assert spaces == {
        "sellerProfile": None,
        "errors": [
            {
                "field": "slug",
                "code": "INVALID_SLUG",
                "message": "A shop slug is 3 to 50 lowercase letters, digits and single "
                "hyphens (got 'Bad Slug!').",
            }
        ],
    }
    assert [e["code"] for e in short["errors"]] == ["INVALID_SLUG"]
    assert [e["code"] for e in double_hyphen["errors"]] == ["INVALID_SLUG"]
    # Case and surrounding spaces are forgiven.
    assert upper["errors"] == []
    assert upper["sellerProfile"]["slug"] == "corner-shop"
    assert await _profiles(resources) == [(ada.user_id, "Corner", "corner-shop", "")]


async def test_a_taken_slug_is_refused_and_nothing_is_written(
    users_client: GraphQLClient, resources: Resources
) -> None:
    owner = await create_account(resources, "owner@example.com")
    await insert_seller_profile(resources, owner.user_id, shop_name="Corner", slug="corner")
    ada = await create_account(resources, "ada@example.com")
    before = await _profiles(resources)

    explicit = await _create(users_client, ada, shopName="Ada's", slug="CORNER")
    derived = await _create(users_client, ada, shopName="Corner")

    taken = {
        "field": "slug",
        "code": "DUPLICATE_SLUG",
        "message": "The shop slug 'corner' is taken.",
    }
    assert explicit == {"sellerProfile": None, "errors": [taken]}
    assert derived == {"sellerProfile": None, "errors": [taken]}
    assert await _profiles(resources) == before
    assert (await get_user(resources, ada.user_id)).roles == ["CUSTOMER"]


async def test_concurrent_shops_with_one_slug_create_one_profile(
    users_client: GraphQLClient, resources: Resources
) -> None:
    accounts = [await create_account(resources, f"racer{n}@example.com") for n in range(4)]

    payloads = await asyncio.gather(
        *(_create(users_client, account, shopName="Race") for account in accounts)
    )

    winners = [p for p in payloads if p["errors"] == []]
    losers = [p for p in payloads if p["errors"]]
    assert len(winners) == 1
    assert {e["code"] for p in losers for e in p["errors"]} == {"DUPLICATE_SLUG"}
    [(winner_id, _, slug, _)] = await _profiles(resources)
    assert slug == "race"
    for account in accounts:
        expected = ["CUSTOMER", "SELLER"] if account.user_id == winner_id else ["CUSTOMER"]
        assert (await get_user(resources, account.user_id)).roles == expected


async def test_a_second_shop_is_refused(users_client: GraphQLClient, resources: Resources) -> None:
    ada = await create_account(resources, "ada@example.com")
    assert (await _create(users_client, ada, shopName="First"))["errors"] == []

    second = await _create(users_client, ada, shopName="Second")

    assert second == {
        "sellerProfile": None,
        "errors": [
            {
                "field": None,
                "code": "ALREADY_SELLER",
                "message": "You already have a seller profile.",
            }
        ],
    }
    assert [slug for _, _, slug, _ in await _profiles(resources)] == ["first"]


async def test_anonymous_cannot_open_a_shop(
    users_client: GraphQLClient, resources: Resources
) -> None:
    response = await users_client.execute(PROFILE_CREATE, {"input": {"shopName": "Corner"}})

    assert response.data is None
    assert response.error_codes == ["UNAUTHENTICATED"]
    assert await _profiles(resources) == []


async def test_a_seller_edits_the_own_profile(
    users_client: GraphQLClient, resources: Resources
) -> None:
    seller = await create_account(resources, "shop@example.com", roles=["CUSTOMER", "SELLER"])
    profile_id = await insert_seller_profile(
        resources, seller.user_id, shop_name="Corner", slug="corner"
    )

    response = await users_client.execute(
        PROFILE_UPDATE,
        {"input": {"description": " Fresh every day. "}},
        token=seller.access_token,
    )

    assert response.ok()["sellerProfileUpdate"] == {
        "sellerProfile": {
            "id": str(profile_id),
            "shopName": "Corner",
            "slug": "corner",
            "description": "Fresh every day.",
        },
        "errors": [],
    }
    assert await _profiles(resources) == [(seller.user_id, "Corner", "corner", "Fresh every day.")]


async def test_profile_update_refuses_bad_input_and_non_sellers(
    users_client: GraphQLClient, resources: Resources
) -> None:
    seller = await create_account(resources, "shop@example.com", roles=["CUSTOMER", "SELLER"])
    await insert_seller_profile(resources, seller.user_id, shop_name="Corner", slug="corner")
    customer = await create_account(resources, "ada@example.com")
    before = await _profiles(resources)

    empty_name = await users_client.execute(
        PROFILE_UPDATE,
        {"input": {"shopName": " ", "description": "changed"}},
        token=seller.access_token,
    )
    not_a_seller = await users_client.execute(
        PROFILE_UPDATE, {"input": {"shopName": "Mine"}}, token=customer.access_token
    )
    unknown = await users_client.execute(
        PROFILE_UPDATE,
        {"id": str(uuid.uuid4()), "input": {"shopName": "Mine"}},
        token=seller.access_token,
    )

    assert empty_name.ok()["sellerProfileUpdate"]["errors"] == [
        {"field": "shopName", "code": "REQUIRED", "message": "`shopName` must not be empty."}
    ]
    assert not_a_seller.ok()["sellerProfileUpdate"]["errors"] == [
        {"field": None, "code": "NOT_A_SELLER", "message": "You have no seller profile."}
    ]
    assert unknown.ok()["sellerProfileUpdate"]["errors"] == [
        {"field": "id", "code": "NOT_FOUND", "message": "No such seller profile."}
    ]
    assert await _profiles(resources) == before


async def test_a_seller_cannot_edit_another_sellers_profile(
    users_client: GraphQLClient, resources: Resources
) -> None:
    owner = await create_account(resources, "owner@example.com", roles=["CUSTOMER", "SELLER"])
    profile_id = await insert_seller_profile(
        resources, owner.user_id, shop_name="Corner", slug="corner"
    )
    rival = await create_account(resources, "rival@example.com", roles=["CUSTOMER", "SELLER"])
    await insert_seller_profile(resources, rival.user_id, shop_name="Rival", slug="rival")
    before = await _profiles(resources)

    response = await users_client.execute(
        PROFILE_UPDATE,
        {"id": str(profile_id), "input": {"shopName": "Hijacked"}},
        token=rival.access_token,
    )

    assert response.data is None
    assert response.error_codes == ["FORBIDDEN"]
    assert response.errors[0]["message"] == "Only the seller or staff can edit this profile."
    assert await _profiles(resources) == before


async def test_staff_can_edit_any_profile(
    users_client: GraphQLClient, resources: Resources
) -> None:
    owner = await create_account(resources, "owner@example.com", roles=["CUSTOMER", "SELLER"])
    profile_id = await insert_seller_profile(
        resources, owner.user_id, shop_name="Corner", slug="corner"
    )
    staff = await create_account(resources, "staff@example.com", roles=["CUSTOMER", "STAFF"])

    response = await users_client.execute(
        PROFILE_UPDATE,
        {"id": str(profile_id), "input": {"shopName": "Corner (moderated)"}},
        token=staff.access_token,
    )

    assert response.ok()["sellerProfileUpdate"]["errors"] == []
    assert await _profiles(resources) == [(owner.user_id, "Corner (moderated)", "corner", "")]


async def test_seller_by_slug(users_client: GraphQLClient, resources: Resources) -> None:
    owner = await create_account(resources, "owner@example.com", name="Owner")
    profile_id = await insert_seller_profile(
        resources, owner.user_id, shop_name="Corner", slug="corner"
    )
    query = "query Seller($slug: String!) { seller(slug: $slug) { id shopName user { id name } } }"

    found = await users_client.execute(query, {"slug": " Corner "})
    missing = await users_client.execute(query, {"slug": "nowhere"})

    assert found.ok()["seller"] == {
        "id": str(profile_id),
        "shopName": "Corner",
        "user": {"id": owner.user_id, "name": "Owner"},
    }
    assert missing.ok()["seller"] is None


async def _five_shops_created_at_the_same_instant(resources: Resources) -> list[str]:
    """Five profiles written in one transaction, so they share created_at (now()) and only
    the id breaks the tie: the hard case for keyset pagination. Returns their ids in the
    order `sellers` must list them."""
    async with resources.session_factory() as session, session.begin():
        users = [User(email=f"s{n}@example.com", password_hash="x", name=f"S{n}") for n in range(5)]
        session.add_all(users)
        await session.flush()
        profiles = [
            SellerProfile(user_id=user.id, shop_name=f"Shop {n}", slug=f"shop-{n}")
            for n, user in enumerate(users)
        ]
        session.add_all(profiles)
    assert len({p.created_at for p in profiles}) == 1
    return [str(p.id) for p in sorted(profiles, key=lambda p: p.id, reverse=True)]


async def test_sellers_pages_through_every_profile_once(
    users_client: GraphQLClient, resources: Resources
) -> None:
    expected = await _five_shops_created_at_the_same_instant(resources)

    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        response = await users_client.execute(SELLERS, {"first": 2, "after": after})
        page = response.ok()["sellers"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert len(pages) < 5, "pagination does not terminate"

    assert [len(page["edges"]) for page in pages] == [2, 2, 1]
    assert [page["totalCount"] for page in pages] == [5, 5, 5]
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False, True, True]
    seen = [edge["node"]["id"] for page in pages for edge in page["edges"]]
    assert seen == expected
    for page in pages:
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


async def test_sellers_orders_newest_first(
    users_client: GraphQLClient, resources: Resources
) -> None:
    owners = [await create_account(resources, f"o{n}@example.com") for n in range(3)]
    for n, owner in enumerate(owners):
        await insert_seller_profile(resources, owner.user_id, shop_name=f"S{n}", slug=f"shop-{n}")

    first_page = (await users_client.execute(SELLERS, {"first": 2})).ok()["sellers"]
    rest = (
        await users_client.execute(
            SELLERS, {"first": 2, "after": first_page["pageInfo"]["endCursor"]}
        )
    ).ok()["sellers"]

    slugs = [e["node"]["slug"] for page in (first_page, rest) for e in page["edges"]]
    assert slugs == ["shop-2", "shop-1", "shop-0"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_sellers_page_size_is_bounded(users_client: GraphQLClient) -> None:
    too_many = await users_client.execute(SELLERS, {"first": 101})
    negative = await users_client.execute(SELLERS, {"first": -1})
    largest = await users_client.execute(SELLERS, {"first": 100})

    assert too_many.data is None
    assert too_many.error_codes == ["BAD_USER_INPUT"]
    assert too_many.errors[0]["message"] == "`first` must be between 0 and 100 (got 101)."
    assert negative.error_codes == ["BAD_USER_INPUT"]
    assert largest.ok()["sellers"]["totalCount"] == 0


async def test_malformed_cursors_are_refused_naming_the_cursor(
    users_client: GraphQLClient,
) -> None:
    cursors = [
        "not-a-cursor",
        encode_cursor("Product", ["2024-01-01T00:00:00+00:00", str(uuid.uuid4())]),
        encode_cursor("SellerProfile", ["yesterday", str(uuid.uuid4())]),
        encode_cursor("SellerProfile", ["2024-01-01T00:00:00+00:00"]),
        # Valid JSON of the wrong types must not reach uuid.UUID as an int.
        encode_cursor("SellerProfile", ["2024-01-01T00:00:00+00:00", 123]),
        encode_cursor("SellerProfile", [20240101, str(uuid.uuid4())]),
    ]

    for cursor in cursors:
        response = await users_client.execute(SELLERS, {"first": 2, "after": cursor})
        assert response.data is None, cursor
        assert response.error_codes == ["BAD_USER_INPUT"], cursor
        assert response.errors[0]["message"] == f"The cursor {quoted(cursor)} is malformed."


async def test_total_count_counts_every_profile(
    users_client: GraphQLClient, resources: Resources
) -> None:
    await _five_shops_created_at_the_same_instant(resources)

    page = (await users_client.execute(SELLERS, {"first": 0})).ok()["sellers"]

    assert page["edges"] == []
    assert page["totalCount"] == 5
    assert page["pageInfo"]["hasNextPage"] is True
    async with resources.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(SellerProfile)) == 5


async def test_a_shop_name_without_latin_letters_asks_for_a_slug(
    users_client: GraphQLClient, resources: Resources
) -> None:
    account = await create_account(resources, "kenji@example.com")

    payload = await _create(users_client, account, shopName="東京")

    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("slug", "REQUIRED")
    assert "No slug can be made from the shop name '東京'" in error["message"]
    assert await _profiles(resources) == []
