"""Issuing tokens: RS256 access tokens and opaque refresh and account tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from domains.kit.auth import ALGORITHM, AUDIENCE, JwtKeys


def issue_access_token(
    keys: JwtKeys,
    *,
    user_id: uuid.UUID,
    roles: list[str],
    session_id: uuid.UUID,
    seller_profile_id: uuid.UUID | None = None,
    issuer: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> tuple[str, str, datetime]:
    """Return (token, token id, expiry)."""
    if keys.private_pem is None:
        raise RuntimeError("JWT_PRIVATE_KEY is required to issue tokens")
    issued_at = now or datetime.now(UTC)
    expires_at = issued_at + lifetime
    token_id = uuid.uuid4().hex
    token = jwt.encode(
        {
            "iss": issuer,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "roles": sorted(roles),
            "typ": "access",
            "sid": str(session_id),
            **({"shop": str(seller_profile_id)} if seller_profile_id else {}),
            "jti": token_id,
            "iat": int(issued_at.timestamp()),
            "exp": int(expires_at.timestamp()),
        },
        keys.private_pem,
        algorithm=ALGORITHM,
        headers={"kid": keys.key_id},
    )
    return token, token_id, expires_at


def new_opaque_token() -> str:
    """256 bits from the OS CSPRNG, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_opaque_token(token: str) -> str:
    # The tokens are random and long, so a plain SHA-256 is enough: there is nothing
    # to brute-force, and lookups by hash stay a single indexed equality.
    return hashlib.sha256(token.encode()).hexdigest()
