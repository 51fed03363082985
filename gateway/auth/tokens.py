"""Verifying an access token: RS256 only, a known key, issuer, audience, expiry.

The algorithm is fixed before the token is read, so a token that says `alg: none`, or
HS256 with the public key used as a shared secret, is refused rather than "verified".
A bad token is refused with 401 at the edge; subgraphs still receive the token itself
and verify it again, so the identity they act on is one a client cannot forge.
"""

from __future__ import annotations

import time
from collections import OrderedDict
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


@dataclass(frozen=True)
class _Verified:
    key_id: str | None
    key: Any
    identity: TokenIdentity
    expires_at: float


class _VerifiedTokens:
    """Tokens verified here, until they expire, least recently used out when full.

    A shopper sends the same token with every request, and its verification (the RSA
    signature, and PyJWT's checks of the token's text) was the costliest step of the
    edge. An entry stands only while the key set still hands out the very key object
    it was verified with: a rotated or removed key verifies again, or refuses.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[str, _Verified] = OrderedDict()

    def get(self, token: str) -> _Verified | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry.expires_at <= time.time():
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return entry

    def put(self, token: str, entry: _Verified) -> None:
        self._entries[token] = entry
        self._entries.move_to_end(token)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


class TokenVerifier:
    def __init__(
        self, keys: KeySet, *, issuer: str, audience: str, remembered: int = 10_000
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._verified = _VerifiedTokens(remembered)

    async def verify(self, authorization: str) -> TokenIdentity:
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthenticated("The Authorization header must be 'Bearer <token>'.")
        known = self._verified.get(token)
        if known is not None and await self._keys.key(known.key_id) is known.key:
            return known.identity
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
        identity = TokenIdentity(str(claims["sub"]), claims)
        key_id = key_id if isinstance(key_id, str) else None
        self._verified.put(token, _Verified(key_id, key, identity, float(claims["exp"])))
        return identity
