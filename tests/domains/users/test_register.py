"""accountRegister: a new account, its confirmation mail, and what it answers for a taken email."""

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


async def test_an_existing_email_answers_as_a_new_one_and_mails_its_owner(
    users_client: GraphQLClient, resources: Resources
) -> None:
    first = await register(users_client, "grace@example.com", name="Grace")
    users_before = await _count(resources, User)

    again = await register(users_client, "GRACE@Example.com", name="Mallory")
    new = await register(users_client, "hopper@example.com", name="Mallory")

    # The same shape and the same values but the id: nothing tells the two apart.
    assert again["errors"] == new["errors"] == []
    assert {k: v for k, v in again["user"].items() if k not in ("id", "email")} == {
        k: v for k, v in new["user"].items() if k not in ("id", "email")
    }
    assert again["user"]["email"] == "grace@example.com"
    assert again["user"]["id"] != first["user"]["id"]
    assert await _count(resources, User) == users_before + 1, "only hopper was created"
    async with resources.session_factory() as session:
        mails = (await session.scalars(select(EmailOutbox).order_by(EmailOutbox.created_at))).all()
    assert [(m.recipient, m.template) for m in mails] == [
        ("grace@example.com", "email_confirmation"),
        ("grace@example.com", "registration_attempt"),
        ("hopper@example.com", "email_confirmation"),
    ]
    assert mails[1].subject == "Someone tried to register with your address"
    assert "Hello Grace," in mails[1].body
    assert "Mallory" not in mails[1].body


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

    # Every one answers as a registration does; the four that lost told the owner.
    assert all(p["errors"] == [] for p in payloads)
    assert await _count(resources, User) == 1
    async with resources.session_factory() as session:
        templates = sorted((await session.scalars(select(EmailOutbox.template))).all())
    assert templates == ["email_confirmation"] + ["registration_attempt"] * 4
