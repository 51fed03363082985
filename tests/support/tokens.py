"""Signed-in shoppers for tests: access tokens minted with the test run's keys as the users
domain issues them, a customer holding one, or a token got by signing up through the
gateway."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from domains.kit.auth import ALGORITHM, AUDIENCE, Role
from domains.kit.resources import Resources


def token_for(
    resources: Resources, user_id: uuid.UUID, *roles: Role, shop: uuid.UUID | None = None
) -> str:
    """An access token for `user_id` (a customer unless `roles` say otherwise)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": resources.settings.jwt_issuer,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "roles": sorted(role.value for role in roles or (Role.CUSTOMER,)),
        "typ": "access",
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    if shop is not None:
        claims["shop"] = str(shop)
    assert resources.jwt_keys.private_pem is not None
    return jwt.encode(
        claims,
        resources.jwt_keys.private_pem,
        algorithm=ALGORITHM,
        headers={"kid": resources.jwt_keys.key_id},
    )


class Customer:
    """A shopper that exists only in its token: a new id, signed in with `roles`."""

    def __init__(self, resources: Resources, *roles: Role) -> None:
        self.id = uuid.uuid4()
        self.token = token_for(resources, self.id, *roles)


async def sign_up(client: httpx.AsyncClient, email: str) -> tuple[str, str]:
    """Register an account through the gateway and sign in: (user id, access token)."""
    registered = await client.post(
        "/graphql",
        json={
            "query": "mutation($email: String!) { accountRegister(input: {email: $email, "
            'password: "a long passphrase", name: "Test Customer"}) { user { id } } }',
            "variables": {"email": email},
        },
    )
    signed_in = await client.post(
        "/graphql",
        json={
            "query": "mutation($email: String!) { tokenCreate(email: $email, "
            'password: "a long passphrase") { accessToken } }',
            "variables": {"email": email},
        },
    )
    user_id = registered.json()["data"]["accountRegister"]["user"]["id"]
    token = signed_in.json()["data"]["tokenCreate"]["accessToken"]
    return str(user_id), str(token)
