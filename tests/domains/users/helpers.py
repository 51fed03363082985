"""Shared steps of the users tests: register, sign in, and direct database set-up.

Registering through the API costs an argon2 hash (~50 ms); tests that only need an
account to exist insert it directly (`insert_user`) and, unless the test is about
signing in, use the access token tokenCreate would have issued (`mint_access_token`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update

from domains.kit.db import transaction
from domains.kit.resources import Resources
from domains.users.models import EmailOutbox, SellerProfile, User
from domains.users.passwords import hash_password
from domains.users.services.tokens import tokens
from domains.users.tokens import issue_access_token
from tests.support.graphql import GraphQLClient

REGISTER = """
mutation Register($input: AccountRegisterInput!) {
  accountRegister(input: $input) {
    user { id name email roles isEmailConfirmed }
    errors { field code message }
  }
}
"""

TOKEN_CREATE = """
mutation SignIn($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) {
    accessToken refreshToken accessTokenExpiresAt
    user { id email }
    errors { field code message }
  }
}
"""

TOKEN_REFRESH = """
mutation Refresh($refreshToken: String!) {
  tokenRefresh(refreshToken: $refreshToken) {
    accessToken refreshToken accessTokenExpiresAt
    user { id roles }
    errors { field code message }
  }
}
"""

ME = "query { me { id name email roles isEmailConfirmed } }"

PASSWORD = "correct horse battery"


async def me_error_codes(client: GraphQLClient, token: str) -> list[str | None]:
    """The error codes of `me` asked with this access token ([] when it still works)."""
    return (await client.execute(ME, token=token)).error_codes


@dataclass
class SignedIn:
    user_id: str
    email: str
    access_token: str
    refresh_token: str


@dataclass
class Account:
    user_id: str
    email: str
    access_token: str


async def register(
    client: GraphQLClient, email: str, *, password: str = PASSWORD, name: str = "Test User"
) -> dict[str, Any]:
    response = await client.execute(
        REGISTER, {"input": {"email": email, "password": password, "name": name}}
    )
    payload: dict[str, Any] = response.ok()["accountRegister"]
    return payload


async def sign_in(client: GraphQLClient, email: str, password: str = PASSWORD) -> SignedIn:
    payload = (await client.execute(TOKEN_CREATE, {"email": email, "password": password})).ok()[
        "tokenCreate"
    ]
    assert payload["errors"] == [], payload["errors"]
    return SignedIn(
        user_id=payload["user"]["id"],
        email=payload["user"]["email"],
        access_token=payload["accessToken"],
        refresh_token=payload["refreshToken"],
    )


async def register_and_sign_in(
    client: GraphQLClient, email: str, *, name: str = "Test User"
) -> SignedIn:
    payload = await register(client, email, name=name)
    assert payload["errors"] == [], payload["errors"]
    return await sign_in(client, email)


async def refresh(client: GraphQLClient, refresh_token: str) -> dict[str, Any]:
    response = await client.execute(TOKEN_REFRESH, {"refreshToken": refresh_token})
    payload: dict[str, Any] = response.ok()["tokenRefresh"]
    return payload


_password_hashes: dict[str, str] = {}


async def _hash_once(password: str) -> str:
    # One argon2 hash per distinct password per run, shared by every inserted account.
    if password not in _password_hashes:
        _password_hashes[password] = await hash_password(password)
    return _password_hashes[password]


async def insert_user(
    resources: Resources,
    email: str,
    *,
    name: str = "Test User",
    roles: Sequence[str] = ("CUSTOMER",),
    password: str = PASSWORD,
) -> uuid.UUID:
    """An account written straight to the database; it can sign in with `password`."""
    async with resources.session_factory() as session, session.begin():
        user = User(
            email=email, password_hash=await _hash_once(password), name=name, roles=list(roles)
        )
        session.add(user)
    return user.id


def mint_access_token(
    resources: Resources, user_id: uuid.UUID | str, roles: Sequence[str] = ("CUSTOMER",)
) -> str:
    """The access token tokenCreate would issue, without the argon2 cost of signing in."""
    token, _, _ = issue_access_token(
        resources.jwt_keys,
        user_id=uuid.UUID(str(user_id)),
        roles=list(roles),
        session_id=uuid.uuid4(),
        issuer=resources.settings.jwt_issuer,
        lifetime=resources.settings.jwt_expiry,
    )
    return token


async def create_account(
    resources: Resources,
    email: str,
    *,
    name: str = "Test User",
    roles: Sequence[str] = ("CUSTOMER",),
) -> Account:
    user_id = await insert_user(resources, email, name=name, roles=roles)
    return Account(str(user_id), email, mint_access_token(resources, user_id, roles))


async def insert_seller_profile(
    resources: Resources, user_id: uuid.UUID | str, *, shop_name: str, slug: str
) -> uuid.UUID:
    async with resources.session_factory() as session, session.begin():
        profile = SellerProfile(user_id=uuid.UUID(str(user_id)), shop_name=shop_name, slug=slug)
        session.add(profile)
        await session.execute(
            update(User)
            .where(User.id == uuid.UUID(str(user_id)))
            .values(roles=["CUSTOMER", "SELLER"])
        )
    return profile.id


async def get_user(resources: Resources, user_id: uuid.UUID | str) -> User:
    async with resources.session_factory() as session:
        user = await session.get(User, uuid.UUID(str(user_id)))
    assert user is not None
    return user


async def set_user_fields(resources: Resources, user_id: uuid.UUID | str, **values: Any) -> None:
    async with resources.session_factory() as session, session.begin():
        await session.execute(
            update(User).where(User.id == uuid.UUID(str(user_id))).values(**values)
        )


async def outbox(resources: Resources, *, recipient: str | None = None) -> list[EmailOutbox]:
    """Queued mail, oldest first."""
    query = select(EmailOutbox).order_by(EmailOutbox.created_at, EmailOutbox.id)
    if recipient is not None:
        query = query.where(EmailOutbox.recipient == recipient)
    async with resources.session_factory() as session:
        return list((await session.scalars(query)).all())


def token_from_mail(message: EmailOutbox) -> str:
    """The `?token=` of the one link in a mail body, as a user would click it."""
    links = [word for word in message.body.split() if word.startswith("http")]
    assert len(links) == 1, message.body
    tokens = parse_qs(urlsplit(links[0]).query)["token"]
    assert len(tokens) == 1
    return tokens[0]


async def start_session(resources: Resources, user_id: uuid.UUID | str) -> SignedIn:
    """The tokens tokenCreate issues once the password checks out, minus the argon2 cost.

    For tests about what happens after signing in (refresh, revoke, password change);
    signing in itself is tested through tokenCreate.
    """
    async with transaction(resources.session_factory) as session:
        user = await session.get(User, uuid.UUID(str(user_id)))
        assert user is not None
        pair = await tokens._issue(
            session, resources.settings, resources.jwt_keys, user, family_id=uuid.uuid4()
        )
    return SignedIn(str(user.id), user.email, pair.access_token, pair.refresh_token)
