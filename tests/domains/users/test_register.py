from __future__ import annotations

from sqlalchemy import func, select

from domains.kit.resources import Resources
from domains.users.models import AccountToken, EmailOutbox, User
from tests.domains.users.helpers import PASSWORD, register
from tests.support.graphql import GraphQLClient


async def _count(resources: Resources, model: type) -> int:
    async with resources.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_register_normalises_email_and_queues_confirmation(
    users_client: GraphQLClient, resources: Resources
) -> None:
    payload = await register(users_client, "  Ada.Lovelace@Example.COM ", name=" Ada ")

    assert payload["errors"] == []
    assert payload["user"]["name"] == "Ada"
    assert payload["user"]["roles"] == ["CUSTOMER"]
    async with resources.session_factory() as session:
        user = await session.scalar(select(User))
        assert user is not None
        assert user.email == "ada.lovelace@example.com"
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        mail = await session.scalar(select(EmailOutbox))
        assert mail is not None
        assert mail.recipient == "ada.lovelace@example.com"
        assert mail.template == "email_confirmation"


async def test_duplicate_email_differing_only_in_case_is_refused(
    users_client: GraphQLClient, resources: Resources
) -> None:
    assert (await register(users_client, "grace@example.com"))["errors"] == []
    before = (await _count(resources, User), await _count(resources, EmailOutbox))

    payload = await register(users_client, "GRACE@Example.com")

    assert payload["user"] is None
    assert payload["errors"] == [
        {
            "field": "email",
            "code": "DUPLICATE_EMAIL",
            "message": "An account with this email already exists.",
        }
    ]
    assert (await _count(resources, User), await _count(resources, EmailOutbox)) == before


async def test_weak_passwords_are_refused_and_nothing_is_written(
    users_client: GraphQLClient, resources: Resources
) -> None:
    too_short = await register(users_client, "alan@example.com", password="short")
    is_email = await register(users_client, "alan@example.com", password="Alan@Example.com")
    is_local_part = await register(users_client, "alan.turing@example.com", password="alan.turing")

    assert [e["code"] for e in too_short["errors"]] == ["PASSWORD_TOO_WEAK"]
    assert "at least 10 characters" in too_short["errors"][0]["message"]
    assert is_email["errors"][0]["message"] == "The password must not be your email address."
    assert [e["field"] for e in is_local_part["errors"]] == ["password"]
    assert await _count(resources, User) == 0
    assert await _count(resources, AccountToken) == 0
    assert await _count(resources, EmailOutbox) == 0


async def test_every_invalid_field_is_reported_at_once(users_client: GraphQLClient) -> None:
    payload = await register(users_client, "not-an-email", password="x", name="   ")

    assert {(e["field"], e["code"]) for e in payload["errors"]} == {
        ("email", "INVALID_EMAIL"),
        ("name", "REQUIRED"),
        ("password", "PASSWORD_TOO_WEAK"),
    }
    assert "'not-an-email' is not a valid email address." in payload["errors"][0]["message"]


async def test_concurrent_registrations_of_one_email_create_one_account(
    users_client: GraphQLClient, resources: Resources
) -> None:
    import asyncio

    payloads = await asyncio.gather(*(register(users_client, "race@example.com") for _ in range(5)))

    assert sum(1 for p in payloads if p["errors"] == []) == 1
    assert all(p["errors"][0]["code"] == "DUPLICATE_EMAIL" for p in payloads if p["errors"])
    assert await _count(resources, User) == 1
    assert await _count(resources, EmailOutbox) == 1
