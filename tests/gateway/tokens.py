"""Access tokens as attackers (and clocks) make them, for the edge auth tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt

from domains.kit.auth import AUDIENCE, JwtKeys


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": "shopgraph",
        "aud": AUDIENCE,
        "sub": str(uuid.uuid4()),
        "roles": ["CUSTOMER"],
        "typ": "access",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
        **overrides,
    }


def signed(keys: JwtKeys, **overrides: Any) -> str:
    """Signed properly with the issuer's key (expired, if the claims say so)."""
    assert keys.private_pem is not None
    return jwt.encode(
        claims(**overrides), keys.private_pem, algorithm="RS256", headers={"kid": keys.key_id}
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"


def hs256_with_public_key(keys: JwtKeys, **overrides: Any) -> str:
    """The key-confusion attack: HMAC-signed with the public key as the shared secret."""
    signing_input = _unsigned(
        {"alg": "HS256", "typ": "JWT", "kid": keys.key_id}, claims(**overrides)
    )
    signature = hmac.new(keys.public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def alg_none(**overrides: Any) -> str:
    return _unsigned({"alg": "none", "typ": "JWT"}, claims(**overrides)) + "."
