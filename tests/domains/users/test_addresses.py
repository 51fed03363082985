"""Saved addresses: validation, one default per kind, ownership."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select

from domains.kit.resources import Resources
from domains.users.models import Address
from tests.domains.users.helpers import Account, create_account
from tests.support.graphql import GraphQLClient

FIELDS = """
id firstName lastName company streetAddress1 streetAddress2 city postalCode countryCode
countryArea phone isDefaultShippingAddress isDefaultBillingAddress
"""

ADDRESS_CREATE = f"""
mutation Create($input: AddressInput!) {{
  addressCreate(input: $input) {{ address {{ {FIELDS} }} errors {{ field code message }} }}
}}
"""

ADDRESS_UPDATE = f"""
mutation Update($id: ID!, $input: AddressInput!) {{
  addressUpdate(id: $id, input: $input) {{ address {{ {FIELDS} }} errors {{ field code message }} }}
}}
"""

ADDRESS_DELETE = """
mutation Delete($id: ID!) {
  addressDelete(id: $id) { address { id } errors { field code message } }
}
"""

HOME = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "streetAddress1": "12 St James's Square",
    "city": "London",
    "postalCode": "SW1Y 4JH",
    "countryCode": "GB",
}


async def _create(client: GraphQLClient, account: Account, **overrides: Any) -> dict[str, Any]:
    response = await client.execute(
        ADDRESS_CREATE, {"input": {**HOME, **overrides}}, token=account.access_token
    )
    payload: dict[str, Any] = response.ok()["addressCreate"]
    return payload


async def _created_id(client: GraphQLClient, account: Account, **overrides: Any) -> str:
    payload = await _create(client, account, **overrides)
    assert payload["errors"] == [], payload["errors"]
    address_id: str = payload["address"]["id"]
    return address_id


async def _rows(resources: Resources, user_id: str) -> list[Address]:
    async with resources.session_factory() as session:
        rows = await session.scalars(
            select(Address)
            .where(Address.user_id == uuid.UUID(user_id))
            .order_by(Address.created_at, Address.id)
        )
        return list(rows.all())


def _snapshot(rows: list[Address]) -> list[dict[str, Any]]:
    return [
        {c.key: getattr(row, c.key) for c in Address.__table__.columns if c.key != "updated_at"}
        for row in rows
    ]


def _defaults(rows: list[Address]) -> tuple[list[str], list[str]]:
    return (
        [str(r.id) for r in rows if r.is_default_shipping],
        [str(r.id) for r in rows if r.is_default_billing],
    )


async def test_address_create_returns_and_stores_the_address(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")

    payload = await _create(users_client, ada, company=" Analytical Engines ", phone="+44 20 0000")

    assert payload["errors"] == []
    address = payload["address"]
    assert address == {
        "id": address["id"],
        "firstName": "Ada",
        "lastName": "Lovelace",
        "company": "Analytical Engines",
        "streetAddress1": "12 St James's Square",
        "streetAddress2": "",
        "city": "London",
        "postalCode": "SW1Y 4JH",
        "countryCode": "GB",
        "countryArea": "",
        "phone": "+44 20 0000",
        "isDefaultShippingAddress": False,
        "isDefaultBillingAddress": False,
    }
    [row] = await _rows(resources, ada.user_id)
    assert str(row.id) == address["id"]
    assert (row.company, row.city, row.country_code) == ("Analytical Engines", "London", "GB")


async def test_address_create_reports_every_missing_field_and_writes_nothing(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")

    response = await users_client.execute(
        ADDRESS_CREATE,
        {"input": {"company": "Acme", "firstName": "   "}},
        token=ada.access_token,
    )

    payload = response.ok()["addressCreate"]
    assert payload["address"] is None
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("city", "REQUIRED"),
        ("countryCode", "REQUIRED"),
        ("firstName", "REQUIRED"),
        ("lastName", "REQUIRED"),
        ("streetAddress1", "REQUIRED"),
    ]
    assert await _rows(resources, ada.user_id) == []


async def test_address_create_with_an_unknown_country_is_refused(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")

    unknown = await _create(users_client, ada, countryCode="XX")
    a_name = await _create(users_client, ada, countryCode="Germany")

    assert unknown == {
        "address": None,
        "errors": [
            {
                "field": "countryCode",
                "code": "INVALID_COUNTRY",
                "message": "'XX' is not an ISO 3166-1 alpha-2 country code.",
            }
        ],
    }
    assert [e["code"] for e in a_name["errors"]] == ["INVALID_COUNTRY"]
    assert await _rows(resources, ada.user_id) == []


async def test_lower_case_country_code_is_normalised(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")

    payload = await _create(users_client, ada, countryCode=" de ", city="Berlin")

    assert payload["errors"] == []
    assert payload["address"]["countryCode"] == "DE"
    [row] = await _rows(resources, ada.user_id)
    assert row.country_code == "DE"


async def test_a_new_default_moves_the_default_of_that_kind_only(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")
    home = await _created_id(
        users_client, ada, isDefaultShippingAddress=True, isDefaultBillingAddress=True
    )

    office = await _create(users_client, ada, city="Bristol", isDefaultShippingAddress=True)

    assert office["errors"] == []
    assert office["address"]["isDefaultShippingAddress"] is True
    assert office["address"]["isDefaultBillingAddress"] is False
    shipping, billing = _defaults(await _rows(resources, ada.user_id))
    assert shipping == [office["address"]["id"]]
    assert billing == [home]

    # And back again, through an update.
    moved = await users_client.execute(
        ADDRESS_UPDATE,
        {"id": home, "input": {"isDefaultShippingAddress": True}},
        token=ada.access_token,
    )
    assert moved.ok()["addressUpdate"]["errors"] == []
    assert _defaults(await _rows(resources, ada.user_id)) == ([home], [home])


async def test_concurrent_default_addresses_leave_exactly_one_default(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")

    payloads = await asyncio.gather(
        *(
            _create(users_client, ada, city=f"City {n}", isDefaultShippingAddress=True)
            for n in range(5)
        )
    )

    assert [p["errors"] for p in payloads] == [[]] * 5
    rows = await _rows(resources, ada.user_id)
    assert len(rows) == 5
    shipping, billing = _defaults(rows)
    assert len(shipping) == 1
    assert billing == []


async def test_address_update_changes_only_the_given_fields(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")
    address_id = await _created_id(users_client, ada, isDefaultBillingAddress=True)
    [before] = _snapshot(await _rows(resources, ada.user_id))

    response = await users_client.execute(
        ADDRESS_UPDATE,
        {"id": address_id, "input": {"city": " Cambridge ", "postalCode": "CB2 1TN"}},
        token=ada.access_token,
    )

    address = response.ok()["addressUpdate"]["address"]
    assert (address["city"], address["postalCode"]) == ("Cambridge", "CB2 1TN")
    assert address["streetAddress1"] == HOME["streetAddress1"]
    assert address["isDefaultBillingAddress"] is True
    [after] = _snapshot(await _rows(resources, ada.user_id))
    assert after == {**before, "city": "Cambridge", "postal_code": "CB2 1TN"}


async def test_invalid_address_update_changes_nothing(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")
    address_id = await _created_id(users_client, ada)
    before = _snapshot(await _rows(resources, ada.user_id))

    response = await users_client.execute(
        ADDRESS_UPDATE,
        {"id": address_id, "input": {"city": "Paris", "firstName": "", "countryCode": "FRA"}},
        token=ada.access_token,
    )

    payload = response.ok()["addressUpdate"]
    assert payload["address"] is None
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("countryCode", "INVALID_COUNTRY"),
        ("firstName", "REQUIRED"),
    ]
    assert _snapshot(await _rows(resources, ada.user_id)) == before


async def test_another_users_address_can_be_neither_updated_nor_deleted(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")
    eve = await create_account(resources, "eve@example.com")
    address_id = await _created_id(users_client, ada, isDefaultShippingAddress=True)
    before = _snapshot(await _rows(resources, ada.user_id))
    not_found = [{"field": "id", "code": "NOT_FOUND", "message": "No such address."}]

    updated = await users_client.execute(
        ADDRESS_UPDATE,
        {"id": address_id, "input": {"city": "Nowhere", "isDefaultShippingAddress": False}},
        token=eve.access_token,
    )
    deleted = await users_client.execute(ADDRESS_DELETE, {"id": address_id}, token=eve.access_token)
    missing = await users_client.execute(
        ADDRESS_DELETE, {"id": str(uuid.uuid4())}, token=eve.access_token
    )

    assert updated.ok()["addressUpdate"] == {"address": None, "errors": not_found}
    # Indistinguishable from an id that does not exist at all.
    assert deleted.ok()["addressDelete"] == missing.ok()["addressDelete"]
    assert deleted.ok()["addressDelete"] == {"address": None, "errors": not_found}
    assert _snapshot(await _rows(resources, ada.user_id)) == before


async def test_address_delete_removes_the_own_address(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")
    kept = await _created_id(users_client, ada)
    gone = await _created_id(users_client, ada, city="Bristol")

    response = await users_client.execute(ADDRESS_DELETE, {"id": gone}, token=ada.access_token)

    assert response.ok()["addressDelete"] == {"address": {"id": gone}, "errors": []}
    assert [str(r.id) for r in await _rows(resources, ada.user_id)] == [kept]


async def test_address_mutations_with_a_malformed_id_name_the_value(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")

    response = await users_client.execute(ADDRESS_DELETE, {"id": "42"}, token=ada.access_token)

    assert response.ok()["addressDelete"]["errors"] == [
        {"field": "id", "code": "INVALID", "message": "'42' is not a valid ID."}
    ]


async def test_me_lists_addresses_and_defaults(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")
    home = await _created_id(users_client, ada, isDefaultShippingAddress=True)
    office = await _created_id(users_client, ada, city="Bristol", isDefaultBillingAddress=True)

    response = await users_client.execute(
        """
        query {
          me {
            addresses { id city }
            defaultShippingAddress { id }
            defaultBillingAddress { id }
          }
        }
        """,
        token=ada.access_token,
    )

    assert response.ok()["me"] == {
        "addresses": [{"id": home, "city": "London"}, {"id": office, "city": "Bristol"}],
        "defaultShippingAddress": {"id": home},
        "defaultBillingAddress": {"id": office},
    }


async def test_me_without_addresses_has_no_defaults(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")

    response = await users_client.execute(
        "query { me { addresses { id } defaultShippingAddress { id } "
        "defaultBillingAddress { id } } }",
        token=ada.access_token,
    )

    assert response.ok()["me"] == {
        "addresses": [],
        "defaultShippingAddress": None,
        "defaultBillingAddress": None,
    }


async def test_anonymous_address_create_is_refused(
    users_client: GraphQLClient, resources: Resources
) -> None:
    response = await users_client.execute(ADDRESS_CREATE, {"input": HOME})

    assert response.data is None
    assert response.error_codes == ["UNAUTHENTICATED"]
    async with resources.session_factory() as session:
        assert (await session.scalars(select(Address))).all() == []


async def test_an_account_keeps_at_most_50_addresses(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")
    async with resources.session_factory() as session, session.begin():
        session.add_all(
            Address(
                user_id=uuid.UUID(ada.user_id),
                first_name="Ada",
                last_name="Lovelace",
                street_address_1=f"{n} Main Street",
                city="London",
                country_code="GB",
            )
            for n in range(50)
        )

    payload = await _create(users_client, ada)

    assert payload == {
        "address": None,
        "errors": [
            {
                "field": None,
                "code": "INVALID",
                "message": "An account can keep at most 50 addresses.",
            }
        ],
    }
    assert len(await _rows(resources, ada.user_id)) == 50
