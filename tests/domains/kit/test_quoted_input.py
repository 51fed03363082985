"""Error messages quote what the client sent only in part: an input of any length is
never handed back whole."""

from __future__ import annotations

import json

from domains.kit.errors import QUOTED_LENGTH, quoted
from domains.kit.resources import Resources
from tests.domains.users.helpers import REGISTER, create_account
from tests.support.subgraphs import subgraph_client

LONG = "x" * 10_000


def test_quoted_cuts_long_input() -> None:
    assert quoted("short") == "'short'"
    assert quoted(LONG) == repr("x" * (QUOTED_LENGTH - 1) + "\u2026")


async def test_an_overlong_email_is_refused_without_being_echoed(resources: Resources) -> None:
    async with subgraph_client("users", resources) as client:
        overlong = await client.execute(
            REGISTER,
            {"input": {"email": LONG, "password": "correct horse battery", "name": "Long"}},
        )
        malformed = await client.execute(
            REGISTER,
            {"input": {"email": "y" * 200, "password": "correct horse battery", "name": "Long"}},
        )
    [error] = overlong.ok()["accountRegister"]["errors"]
    assert error == {
        "field": "email",
        "code": "INVALID_EMAIL",
        "message": "An email address is at most 254 characters.",
    }
    [error] = malformed.ok()["accountRegister"]["errors"]
    assert error["code"] == "INVALID_EMAIL"
    assert error["message"] == f"{quoted('y' * 200)} is not a valid email address."
    assert len(json.dumps(overlong.body)) < 500
    assert len(json.dumps(malformed.body)) < 500


async def test_an_overlong_id_is_refused_without_being_echoed(resources: Resources) -> None:
    account = await create_account(resources, "ids@example.com")
    async with subgraph_client("users", resources) as client:
        response = await client.execute(
            "mutation($id: ID!) { addressDelete(id: $id) { errors { field code message } } }",
            {"id": LONG},
            token=account.access_token,
        )
    [error] = response.ok()["addressDelete"]["errors"]
    assert error == {
        "field": "id",
        "code": "INVALID",
        "message": f"{quoted(LONG)} is not a valid ID.",
    }
    assert len(json.dumps(response.body)) < 500


async def test_an_overlong_search_id_is_refused_without_being_echoed(
    resources: Resources,
) -> None:
    async with subgraph_client("products", resources) as client:
        response = await client.execute(
            "query($id: ID) { products(filter: {categoryId: $id}) { totalCount } }", {"id": LONG}
        )
    assert response.error_codes == ["BAD_USER_INPUT"]
    assert LONG[:100] not in response.errors[0]["message"]
    assert len(json.dumps(response.body)) < 500
