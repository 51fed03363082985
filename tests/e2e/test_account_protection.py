"""Sign-in throttling and the absence of account and id oracles, through the gateway.

Every request goes through the whole platform as `shopgraph serve` runs it; the client's
address is the one the ASGI transport reports, which the gateway forwards to subgraphs.
Windows and locks are made short through the environment rather than waited out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from domains.kit.config import Settings
from domains.kit.resources import Resources
from domains.users.models import EmailOutbox
from shopgraph.platform import build_platform_app
from tests.support.graphql import GraphQLClient, GraphQLResponse

PASSWORD = "a long passphrase"
SIGN_IN = """
mutation($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) {
    accessToken
    errors { field code message }
  }
}
"""
REGISTER = """
mutation($email: String!, $name: String!) {
  accountRegister(input: {email: $email, password: "a long passphrase", name: $name}) {
    user { name email roles isEmailConfirmed addresses { id } }
    errors { field code message }
  }
}
"""
RESET = (
    "mutation($email: String!) { requestPasswordReset(email: $email) { errors { code message } } }"
)

Clients = Callable[[str], AbstractAsyncContextManager[GraphQLClient]]


@pytest.fixture
async def clients(settings: Settings, resources: Resources) -> AsyncIterator[Clients]:
    """One platform; a client per address asked for (`async with clients("10.0.0.1")`)."""
    app = build_platform_app(settings)

    @asynccontextmanager
    async def client(ip: str) -> AsyncIterator[GraphQLClient]:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
            yield GraphQLClient(http)

    async with app.router.lifespan_context(app):
        yield client


async def _sign_in(client: GraphQLClient, email: str, password: str) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await client.execute(SIGN_IN, {"email": email, "password": password})
    ).ok()["tokenCreate"]
    return payload


async def _register(client: GraphQLClient, email: str, name: str = "Ada") -> GraphQLResponse:
    return await client.execute(REGISTER, {"email": email, "name": name})


def _codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def test_failed_sign_ins_lock_the_account_for_a_while_even_for_the_right_password(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGN_IN_FAILURES_PER_ACCOUNT", "3")
    monkeypatch.setenv("SIGN_IN_LOCK", "1s")
    monkeypatch.setenv("SIGN_IN_MAX_LOCK", "10s")
    async with clients("203.0.113.7") as shop:
        assert (await _register(shop, "ada@example.com")).ok()["accountRegister"]["errors"] == []

        failures = [await _sign_in(shop, "ada@example.com", "wrong guess") for _ in range(3)]
        locked = await _sign_in(shop, "ada@example.com", PASSWORD)
        # An email without an account locks the same way: the lock tells nothing.
        for _ in range(3):
            await _sign_in(shop, "nobody@example.com", "wrong guess")
        locked_unknown = await _sign_in(shop, "nobody@example.com", PASSWORD)

        assert [_codes(f) for f in failures] == [["INVALID_CREDENTIALS"]] * 3
        assert locked["accessToken"] is None
        assert locked["errors"] == [
            {
                "field": None,
                "code": "TOO_MANY_ATTEMPTS",
                "message": "Too many attempts: try again in 1 second.",
            }
        ]
        assert locked_unknown == locked

        await asyncio.sleep(1.1)
        after = await _sign_in(shop, "ada@example.com", PASSWORD)
        assert after["errors"] == []
        assert after["accessToken"]
        # The success forgot the failures: one wrong password is just wrong again.
        assert _codes(await _sign_in(shop, "ada@example.com", "wrong guess")) == [
            "INVALID_CREDENTIALS"
        ]


async def test_each_further_failure_doubles_the_lock_up_to_the_longest(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGN_IN_FAILURES_PER_ACCOUNT", "2")
    monkeypatch.setenv("SIGN_IN_LOCK", "1s")
    monkeypatch.setenv("SIGN_IN_MAX_LOCK", "3s")
    async with clients("203.0.113.8") as shop:
        for _ in range(2):
            await _sign_in(shop, "grace@example.com", "wrong guess")
        first = await _sign_in(shop, "grace@example.com", "wrong guess")
        await asyncio.sleep(1.1)
        assert _codes(await _sign_in(shop, "grace@example.com", "wrong")) == ["INVALID_CREDENTIALS"]
        second = await _sign_in(shop, "grace@example.com", "wrong guess")
        await asyncio.sleep(2.1)
        await _sign_in(shop, "grace@example.com", "wrong guess")
        capped = await _sign_in(shop, "grace@example.com", "wrong guess")

    assert first["errors"][0]["message"] == "Too many attempts: try again in 1 second."
    assert second["errors"][0]["message"] == "Too many attempts: try again in 2 seconds."
    assert capped["errors"][0]["message"] == "Too many attempts: try again in 3 seconds."


async def test_failures_from_one_address_lock_that_address_only(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGN_IN_FAILURES_PER_IP", "3")
    async with clients("198.51.100.1") as attacker, clients("198.51.100.2") as owner:
        assert (await _register(owner, "ada@example.com")).ok()["accountRegister"]["errors"] == []
        for index in range(3):
            await _sign_in(attacker, f"victim{index}@example.com", "wrong guess")
        # A header of the client's own cannot pose as the address the gateway saw.
        spoofed = (
            await attacker.execute(
                SIGN_IN,
                {"email": "ada@example.com", "password": PASSWORD},
                headers={"X-Shopgraph-Client-Ip": "192.0.2.99"},
            )
        ).ok()["tokenCreate"]
        elsewhere = await _sign_in(owner, "ada@example.com", PASSWORD)

    assert _codes(spoofed) == ["TOO_MANY_ATTEMPTS"]
    assert "try again in 30 seconds" in spoofed["errors"][0]["message"]
    assert elsewhere["errors"] == []
    assert elsewhere["accessToken"]


async def test_password_reset_requests_and_registrations_are_throttled(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCOUNT_REQUESTS_PER_EMAIL", "2")
    monkeypatch.setenv("ACCOUNT_REQUESTS_PER_IP", "4")
    monkeypatch.setenv("ACCOUNT_REQUEST_WINDOW", "10m")
    async with clients("198.51.100.9") as shop:
        resets = [
            (await shop.execute(RESET, {"email": "ada@example.com"})).ok()["requestPasswordReset"]
            for _ in range(3)
        ]
        registrations = [
            (await _register(shop, f"new{index}@example.com")).ok()["accountRegister"]
            for index in range(3)
        ]

    assert [r["errors"] for r in resets[:2]] == [[], []]
    assert _codes(resets[2]) == ["TOO_MANY_ATTEMPTS"]
    assert "try again in 10 minutes" in resets[2]["errors"][0]["message"]
    # Two resets and two registrations spent the address's four.
    assert [r["errors"] for r in registrations[:2]] == [[], []]
    assert _codes(registrations[2]) == ["TOO_MANY_ATTEMPTS"]
    assert registrations[2]["user"] is None


async def test_registering_a_taken_email_answers_as_a_new_one_and_mails_the_owner(
    clients: Clients, resources: Resources
) -> None:
    async with clients("203.0.113.20") as shop:
        first = (await _register(shop, "grace@example.com", "Grace")).ok()["accountRegister"]
        again = (await _register(shop, "Grace@Example.com", "Eve")).ok()["accountRegister"]
        fresh = (await _register(shop, "eve@example.com", "Eve")).ok()["accountRegister"]

    assert first["errors"] == again["errors"] == fresh["errors"] == []
    assert again["user"] == {**fresh["user"], "email": "grace@example.com"}
    async with resources.session_factory() as session:
        mails = (await session.scalars(select(EmailOutbox).order_by(EmailOutbox.created_at))).all()
    assert [(m.recipient, m.template) for m in mails] == [
        ("grace@example.com", "email_confirmation"),
        ("grace@example.com", "registration_attempt"),
        ("eve@example.com", "email_confirmation"),
    ]
    assert "Hello Grace," in mails[1].body


async def test_another_customers_cart_reads_as_an_unknown_one(clients: Clients) -> None:
    async with clients("203.0.113.30") as shop:
        for email in ("ada@example.com", "eve@example.com"):
            assert (await _register(shop, email)).ok()["accountRegister"]["errors"] == []
        ada = (await _sign_in(shop, "ada@example.com", PASSWORD))["accessToken"]
        eve = (await _sign_in(shop, "eve@example.com", PASSWORD))["accessToken"]
        created = await shop.execute("mutation { cartCreate { cart { id } } }", token=ada)
        cart_id = created.ok()["cartCreate"]["cart"]["id"]
        unknown = str(uuid.uuid4())
        read = "query($id: ID!) { cart(id: $id) { id } }"
        add = (
            "mutation($id: ID!) { cartLinesAdd(cartId: $id, lines: [{variantId: "
            f'"{uuid.uuid4()}", quantity: 1}}]) '
            "{ cart { id } errors { field code message } } }"
        )

        answers = {}
        for name, token in (("eve", eve), ("anonymous", None)):
            for label, query in (("read", read), ("add", add)):
                theirs = await shop.execute(query, {"id": cart_id}, token=token)
                nothing = await shop.execute(query, {"id": unknown}, token=token)
                answers[name, label] = (theirs.body, nothing.body)

    for theirs, nothing in answers.values():
        assert theirs == nothing
    assert answers["eve", "read"][0] == {"data": {"cart": None}}


async def test_behind_the_storefront_each_shopper_is_throttled_by_their_own_address(
    settings: Settings, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The storefront's server signs every shopper in from one address; with its client
    key, the address it forwards is the one counted, so one shopper's guesses lock only
    that shopper's address."""
    monkeypatch.setenv("SIGN_IN_FAILURES_PER_IP", "3")
    key = "storefront-" + "k" * 32
    app = build_platform_app(
        dataclasses.replace(settings, gateway_first_party_keys=(("storefront", key),))
    )
    transport = httpx.ASGITransport(app=app, client=("10.20.0.5", 40000))

    def shopper(address: str) -> dict[str, str]:
        return {"X-Shopgraph-Client-Key": key, "X-Forwarded-For": address}

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://shop") as http,
    ):
        storefront = GraphQLClient(http)
        assert (await _register(storefront, "ada@example.com")).ok()["accountRegister"][
            "errors"
        ] == []
        for index in range(3):
            await storefront.execute(
                SIGN_IN,
                {"email": f"victim{index}@example.com", "password": "wrong guess"},
                headers=shopper("198.51.100.1"),
            )
        guesser = (
            await storefront.execute(
                SIGN_IN,
                {"email": "ada@example.com", "password": PASSWORD},
                headers=shopper("198.51.100.1"),
            )
        ).ok()["tokenCreate"]
        owner = (
            await storefront.execute(
                SIGN_IN,
                {"email": "ada@example.com", "password": PASSWORD},
                headers=shopper("198.51.100.2"),
            )
        ).ok()["tokenCreate"]

    assert _codes(guesser) == ["TOO_MANY_ATTEMPTS"]
    assert owner["errors"] == []
    assert owner["accessToken"]
