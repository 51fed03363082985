"""Shared steps of the users tests: register, sign in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

PASSWORD = "correct horse battery"


@dataclass
class SignedIn:
    user_id: str
    email: str
    access_token: str
    refresh_token: str


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
