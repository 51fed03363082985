"""Federation entry points and query-count benchmarks.

A statement count here is a contract: a change that turns a batched load into one query
per row (N+1) fails these tests.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert

from domains.kit.resources import Resources
from domains.users.models import Address, SellerProfile, User
from tests.domains.users.helpers import create_account
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter

ENTITIES = """
query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on User { id name }
    ... on SellerProfile { id slug shopName }
  }
}
"""


async def _insert_users_with_shops(
    resources: Resources, users: int, shops: int
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """`users` accounts, the first `shops` of which run a shop; (user ids, profile ids)."""
    user_ids = [uuid.uuid4() for _ in range(users)]
    profile_ids = [uuid.uuid4() for _ in range(shops)]
    async with resources.session_factory() as session, session.begin():
        await session.execute(
            insert(User),
            [
                {"id": uid, "email": f"u{n}@example.com", "password_hash": "x", "name": f"User {n}"}
                for n, uid in enumerate(user_ids)
            ],
        )
        if not profile_ids:
            return user_ids, profile_ids
        await session.execute(
            insert(SellerProfile),
            [
                {"id": pid, "user_id": user_ids[n], "shop_name": f"Shop {n}", "slug": f"shop-{n}"}
                for n, pid in enumerate(profile_ids)
            ],
        )
    return user_ids, profile_ids


def _statements(counter: SqlCounter) -> str:
    return "\n---\n".join(counter.statements)


async def test_entities_resolve_in_one_statement_per_type(
    users_client: GraphQLClient, resources: Resources, sql_counter: SqlCounter
) -> None:
    user_ids, profile_ids = await _insert_users_with_shops(resources, users=10, shops=4)
    unknown_user, unknown_profile = uuid.uuid4(), uuid.uuid4()
    representations: list[dict[str, Any]] = [
        {"__typename": "User", "id": str(uid)} for uid in user_ids
    ]
    representations += [{"__typename": "SellerProfile", "id": str(pid)} for pid in profile_ids]
    representations += [
        {"__typename": "User", "id": str(unknown_user)},
        {"__typename": "SellerProfile", "id": str(unknown_profile)},
    ]

    sql_counter.reset()
    response = await users_client.execute(ENTITIES, {"representations": representations})

    entities = response.ok()["_entities"]
    assert entities == [
        *(
            {"__typename": "User", "id": str(uid), "name": f"User {n}"}
            for n, uid in enumerate(user_ids)
        ),
        *(
            {
                "__typename": "SellerProfile",
                "id": str(pid),
                "slug": f"shop-{n}",
                "shopName": f"Shop {n}",
            }
            for n, pid in enumerate(profile_ids)
        ),
        None,
        None,
    ]
    # One SELECT ... WHERE id IN (...) for the users, one for the profiles.
    assert sql_counter.count == 2, _statements(sql_counter)
    tables = sorted(s.split("FROM ", 1)[1].split()[0] for s in sql_counter.statements)
    assert tables == ["users.seller_profiles", "users.users"]


async def test_entity_with_a_malformed_id_fails_alone(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_ids, _ = await _insert_users_with_shops(resources, users=1, shops=0)

    response = await users_client.execute(
        ENTITIES,
        {
            "representations": [
                {"__typename": "User", "id": "nope"},
                {"__typename": "User", "id": str(user_ids[0])},
            ]
        },
    )

    assert response.data["_entities"] == [
        None,
        {"__typename": "User", "id": str(user_ids[0]), "name": "User 0"},
    ]
    assert response.error_codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["message"] == "'nope' is not a valid ID."
    assert response.errors[0]["path"] == ["_entities", 0]


async def test_private_fields_of_a_user_entity_stay_private(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com", name="Ada")
    eve = await create_account(resources, "eve@example.com")
    query = """
    query Entities($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on User { name email } }
    }
    """
    variables = {"representations": [{"__typename": "User", "id": ada.user_id}]}

    as_eve = await users_client.execute(query, variables, token=eve.access_token)
    as_ada = await users_client.execute(query, variables, token=ada.access_token)

    assert as_eve.data == {"_entities": [{"name": "Ada", "email": None}]}
    assert as_eve.error_codes == ["FORBIDDEN"]
    assert as_eve.errors[0]["path"] == ["_entities", 0, "email"]
    assert as_ada.ok() == {"_entities": [{"name": "Ada", "email": "ada@example.com"}]}


async def test_address_entities_resolve_only_for_their_owner(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")
    eve = await create_account(resources, "eve@example.com")
    address_id = uuid.uuid4()
    async with resources.session_factory() as session, session.begin():
        await session.execute(
            insert(Address),
            [
                {
                    "id": address_id,
                    "user_id": uuid.UUID(ada.user_id),
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "street_address_1": "12 St James's Square",
                    "city": "London",
                    "country_code": "GB",
                }
            ],
        )
    query = """
    query Entities($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Address { id city } }
    }
    """
    variables = {"representations": [{"__typename": "Address", "id": str(address_id)}]}

    as_ada = await users_client.execute(query, variables, token=ada.access_token)
    as_eve = await users_client.execute(query, variables, token=eve.access_token)

    assert as_ada.ok() == {"_entities": [{"id": str(address_id), "city": "London"}]}
    assert as_eve.data == {"_entities": [None]}
    assert as_eve.error_codes == ["FORBIDDEN"]


async def test_service_sdl_declares_the_entity_keys(users_client: GraphQLClient) -> None:
    sdl = (await users_client.execute("query { _service { sdl } }")).ok()["_service"]["sdl"]

    assert 'type User @key(fields: "id")' in sdl
    assert 'type SellerProfile @key(fields: "id")' in sdl
    assert 'type Address @key(fields: "id")' in sdl
    assert '@link(url: "https://specs.apollo.dev/federation/v2.7"' in sdl


async def test_sellers_with_their_users_cost_a_constant_number_of_statements(
    users_client: GraphQLClient, resources: Resources, sql_counter: SqlCounter
) -> None:
    await _insert_users_with_shops(resources, users=10, shops=10)
    query = "query { sellers(first: 20) { totalCount edges { node { slug user { name } } } } }"

    sql_counter.reset()
    response = await users_client.execute(query)

    sellers = response.ok()["sellers"]
    assert sellers["totalCount"] == 10
    assert sorted(e["node"]["user"]["name"] for e in sellers["edges"]) == sorted(
        f"User {n}" for n in range(10)
    )
    # 3 statements, whatever the page size: the keyset page of profiles, the count for
    # totalCount, and one batched load of the 10 users behind them (a per-row load would
    # make it 12).
    assert sql_counter.count == 3, _statements(sql_counter)


async def test_me_with_every_relationship_costs_one_statement_per_relationship(
    users_client: GraphQLClient, resources: Resources, sql_counter: SqlCounter
) -> None:
    ada = await create_account(resources, "ada@example.com")
    query = """
    query {
      me {
        name
        addresses { id }
        defaultShippingAddress { id }
        defaultBillingAddress { id }
        sellerProfile { slug }
      }
    }
    """

    sql_counter.reset()
    response = await users_client.execute(query, token=ada.access_token)

    assert response.ok()["me"] == {
        "name": "Test User",
        "addresses": [],
        "defaultShippingAddress": None,
        "defaultBillingAddress": None,
        "sellerProfile": None,
    }
    # The user, the addresses (once, although three fields read them), the seller profile.
    assert sql_counter.count == 3, _statements(sql_counter)
