"""The entity cache of the users domain: what other subgraphs reference (seller profiles,
an account's public fields) is read from Redis once warm, a committed write is read
fresh by the next request, and a rolled-back one leaves the cache as it was.

Cold and warm statement counts are printed (`pytest -s`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from domains.kit.resources import Resources
from tests.domains.users.helpers import Account, create_account, insert_seller_profile
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter

ENTITIES = """
query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on SellerProfile { id shopName slug description user { id name roles } }
    ... on User { id name roles sellerProfile { slug shopName } }
  }
}
"""

SELLER = "query Seller($slug: String!) { seller(slug: $slug) { id shopName } }"

PROFILE_CREATE = """
mutation Create($input: SellerProfileCreateInput!) {
  sellerProfileCreate(input: $input) {
    sellerProfile { id shopName slug }
    errors { field code message }
  }
}
"""

PROFILE_UPDATE = """
mutation Update($input: SellerProfileUpdateInput!) {
  sellerProfileUpdate(input: $input) {
    sellerProfile { id shopName description }
    errors { field code message }
  }
}
"""

ACCOUNT_UPDATE = """
mutation Rename($input: AccountUpdateInput!) {
  accountUpdate(input: $input) { user { id name } errors { field code message } }
}
"""


async def _seller(resources: Resources, n: int) -> tuple[Account, uuid.UUID]:
    account = await create_account(
        resources, f"seller{n}@example.com", name=f"Seller {n}", roles=["CUSTOMER", "SELLER"]
    )
    profile_id = await insert_seller_profile(
        resources, account.user_id, shop_name=f"Shop {n}", slug=f"shop-{n}"
    )
    return account, profile_id


def _profile(profile_id: uuid.UUID) -> dict[str, str]:
    return {"__typename": "SellerProfile", "id": str(profile_id)}


def _user(user_id: str) -> dict[str, str]:
    return {"__typename": "User", "id": user_id}


async def _entities(client: GraphQLClient, *representations: dict[str, str]) -> list[Any]:
    response = await client.execute(ENTITIES, {"representations": list(representations)})
    entities: list[Any] = response.ok()["_entities"]
    return entities


async def _cached_values(resources: Resources) -> dict[str, bytes]:
    prefix = resources.settings.redis_key_prefix
    keys = [key async for key in resources.redis.scan_iter(match=f"{prefix}users:*")]
    values = await resources.redis.mget(keys) if keys else []
    return {
        key.decode().removeprefix(prefix): value
        for key, value in zip(keys, values, strict=True)
        if value is not None
    }


async def test_warm_entity_reads_cost_no_sql(
    users_client: GraphQLClient, resources: Resources, sql_counter: SqlCounter
) -> None:
    sellers = [await _seller(resources, n) for n in range(5)]
    representations = [
        *(_profile(profile_id) for _, profile_id in sellers),
        *(_user(account.user_id) for account, _ in sellers),
        _profile(uuid.uuid4()),
        _user(str(uuid.uuid4())),
    ]

    sql_counter.reset()
    cold = await _entities(users_client, *representations)
    cold_shop = (await users_client.execute(SELLER, {"slug": "shop-3"})).ok()
    cold_count = sql_counter.count
    sql_counter.reset()
    warm = await _entities(users_client, *representations)
    warm_shop = (await users_client.execute(SELLER, {"slug": "shop-3"})).ok()

    print(
        f"\n_entities(5 shops, 5 accounts) and seller(slug): {cold_count} statements cold, "
        f"{sql_counter.count} warm"
    )
    assert cold[0] == {
        "__typename": "SellerProfile",
        "id": str(sellers[0][1]),
        "shopName": "Shop 0",
        "slug": "shop-0",
        "description": "",
        "user": {"id": sellers[0][0].user_id, "name": "Seller 0", "roles": ["CUSTOMER", "SELLER"]},
    }
    assert cold[5] == {
        "__typename": "User",
        "id": sellers[0][0].user_id,
        "name": "Seller 0",
        "roles": ["CUSTOMER", "SELLER"],
        "sellerProfile": {"slug": "shop-0", "shopName": "Shop 0"},
    }
    assert cold[-2:] == [None, None]  # unknown ids are remembered as missing too
    # Profiles by id, public accounts by id, profiles by account, the profile by slug.
    assert cold_count == 4
    assert sql_counter.count == 0, sql_counter.statements
    assert warm == cold
    assert warm_shop == cold_shop == {"seller": {"id": str(sellers[3][1]), "shopName": "Shop 3"}}


async def test_the_cache_holds_no_private_account_data(
    users_client: GraphQLClient, resources: Resources, sql_counter: SqlCounter
) -> None:
    ada, profile_id = await _seller(resources, 0)
    eve = await create_account(resources, "eve@example.com")
    query = """
    query Entities($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on User { name email } }
    }"""
    variables = {"representations": [_user(ada.user_id)]}
    await _entities(users_client, _profile(profile_id), _user(ada.user_id))

    sql_counter.reset()
    as_eve = await users_client.execute(query, variables, token=eve.access_token)
    as_eve_count = sql_counter.count
    as_ada = await users_client.execute(query, variables, token=ada.access_token)

    cached = await _cached_values(resources)
    assert f"users:user:{ada.user_id}" in cached
    assert f"users:seller-profile:{profile_id}" in cached
    for value in cached.values():
        assert b"@example.com" not in value
        assert b"argon2" not in value
    # The email is read from Postgres, and only once the viewer may see it.
    assert as_eve.data == {"_entities": [{"name": "Seller 0", "email": None}]}
    assert as_eve.error_codes == ["FORBIDDEN"]
    assert as_eve_count == 0
    assert as_ada.ok() == {"_entities": [{"name": "Seller 0", "email": "seller0@example.com"}]}
    assert sql_counter.count == 1


async def test_an_edited_shop_is_read_fresh_by_the_next_request(
    users_client: GraphQLClient, resources: Resources, sql_counter: SqlCounter
) -> None:
    seller, profile_id = await _seller(resources, 0)
    before = await _entities(users_client, _profile(profile_id), _user(seller.user_id))
    await users_client.execute(SELLER, {"slug": "shop-0"})

    updated = await users_client.execute(
        PROFILE_UPDATE,
        {"input": {"shopName": "Corner Shop", "description": "Open late."}},
        token=seller.access_token,
    )
    after = await _entities(users_client, _profile(profile_id), _user(seller.user_id))
    by_slug = (await users_client.execute(SELLER, {"slug": "shop-0"})).ok()
    sql_counter.reset()
    again = await _entities(users_client, _profile(profile_id), _user(seller.user_id))

    assert updated.ok()["sellerProfileUpdate"]["errors"] == []
    assert before[0]["shopName"] == "Shop 0"
    assert after[0]["shopName"] == "Corner Shop"
    assert after[0]["description"] == "Open late."
    assert after[1]["sellerProfile"] == {"slug": "shop-0", "shopName": "Corner Shop"}
    assert by_slug == {"seller": {"id": str(profile_id), "shopName": "Corner Shop"}}
    # Read once from Postgres after the write, then from the cache again.
    assert again == after
    assert sql_counter.count == 0


async def test_a_renamed_account_and_a_new_shop_are_read_fresh(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com", name="Ada")
    # Cached: the account without the SELLER role and without a shop, and no shop "ada".
    before = await _entities(users_client, _user(ada.user_id))
    no_shop = (await users_client.execute(SELLER, {"slug": "ada"})).ok()

    renamed = await users_client.execute(
        ACCOUNT_UPDATE, {"input": {"name": "Ada Lovelace"}}, token=ada.access_token
    )
    after_rename = await _entities(users_client, _user(ada.user_id))
    created = await users_client.execute(
        PROFILE_CREATE, {"input": {"shopName": "Ada"}}, token=ada.access_token
    )
    after = await _entities(users_client, _user(ada.user_id))
    shop = (await users_client.execute(SELLER, {"slug": "ada"})).ok()

    assert before == [
        {
            "__typename": "User",
            "id": ada.user_id,
            "name": "Ada",
            "roles": ["CUSTOMER"],
            "sellerProfile": None,
        }
    ]
    assert no_shop == {"seller": None}
    assert renamed.ok()["accountUpdate"]["errors"] == []
    assert after_rename == [{**before[0], "name": "Ada Lovelace"}]
    profile = created.ok()["sellerProfileCreate"]["sellerProfile"]
    assert after == [
        {
            "__typename": "User",
            "id": ada.user_id,
            "name": "Ada Lovelace",
            "roles": ["CUSTOMER", "SELLER"],
            "sellerProfile": {"slug": "ada", "shopName": "Ada"},
        }
    ]
    assert shop == {"seller": {"id": profile["id"], "shopName": "Ada"}}


@pytest.fixture
async def commits_refused(resources: Resources) -> AsyncIterator[None]:
    """Every transaction that updated a seller profile fails at COMMIT (a deferred
    constraint trigger): the write got as far as it can before it is rolled back."""
    statements = [
        "CREATE FUNCTION users.test_refuse_commit() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$",
        "CREATE CONSTRAINT TRIGGER test_refuse_commit AFTER UPDATE ON users.seller_profiles "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION users.test_refuse_commit()",
    ]
    async with resources.engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))
    try:
        yield
    finally:
        async with resources.engine.begin() as connection:
            await connection.execute(
                text("DROP TRIGGER test_refuse_commit ON users.seller_profiles")
            )
            await connection.execute(text("DROP FUNCTION users.test_refuse_commit()"))


async def test_a_rolled_back_write_leaves_the_cache_as_it_was(
    users_client: GraphQLClient,
    resources: Resources,
    sql_counter: SqlCounter,
    commits_refused: None,
) -> None:
    seller, profile_id = await _seller(resources, 0)
    before = await _entities(users_client, _profile(profile_id), _user(seller.user_id))
    cached_before = await _cached_values(resources)

    refused = await users_client.execute(
        PROFILE_UPDATE, {"input": {"shopName": "Never Saved"}}, token=seller.access_token
    )
    sql_counter.reset()
    after = await _entities(users_client, _profile(profile_id), _user(seller.user_id))

    assert refused.data is None
    assert len(refused.errors) == 1
    assert await _cached_values(resources) == cached_before
    assert after == before
    assert after[0]["shopName"] == "Shop 0"
    assert sql_counter.count == 0
