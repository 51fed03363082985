"""Verifying an access token: RS256 only, a known key, issuer, audience, expiry.

The algorithm is fixed before the token is read, so a token that says `alg: none`, or
HS256 with the public key used as a shared secret, is refused rather than "verified".
A bad token is refused with 401 at the edge; subgraphs still receive the token itself
and verify it again, so the identity they act on is one a client cannot forge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from gateway.auth.jwks import KeySet
from gateway.errors import Refusal

ALGORITHM = "RS256"


@dataclass(frozen=True)
class TokenIdentity:
    subject: str
    claims: dict[str, Any]


def _unauthenticated(message: str) -> Refusal:
    return Refusal.of(
        message,
        "UNAUTHENTICATED",
        status=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


class TokenVerifier:
    def __init__(self, keys: KeySet, *, issuer: str, audience: str) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience

    async def verify(self, authorization: str) -> TokenIdentity:
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthenticated("The Authorization header must be 'Bearer <token>'.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise _unauthenticated("The access token is invalid.") from None
        if header.get("alg") != ALGORITHM:
            raise _unauthenticated("The access token must be signed with RS256.")
        key_id = header.get("kid")
        key = await self._keys.key(key_id if isinstance(key_id, str) else None)
        if key is None:
            raise _unauthenticated("The access token is signed by an unknown key.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise _unauthenticated("The access token has expired.") from None
        except jwt.InvalidTokenError:
            raise _unauthenticated("The access token is invalid.") from None
        if claims.get("typ") != "access":
            raise _unauthenticated("The access token is invalid.")
        return TokenIdentity(str(claims["sub"]), claims)
