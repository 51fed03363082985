"""Verified access tokens are remembered until they expire, and only the same token,
verified with the same key, is ever answered from memory."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from domains.kit import auth
from domains.kit.auth import ALGORITHM, AUDIENCE, InvalidToken, JwtKeys, decode_access_token

ISSUER = "https://shopgraph.test"


def _token(keys: JwtKeys, *, lifetime: timedelta = timedelta(minutes=5)) -> str:
    now = datetime.now(UTC)
    assert keys.private_pem is not None
    return jwt.encode(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(uuid.uuid4()),
            "typ": "access",
            "jti": uuid.uuid4().hex,
            "iat": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
        },
        keys.private_pem,
        algorithm=ALGORITHM,
    )


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature was checked (not answered from memory)."""
    checked: list[str] = []
    decode = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        checked.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(auth.jwt, "decode", counting)
    return checked


def test_a_token_is_verified_once_then_answered_from_memory(verifications: list[str]) -> None:
    keys = JwtKeys.generate()
    token = _token(keys)

    first = decode_access_token(token, keys, issuer=ISSUER)
    again = decode_access_token(token, keys, issuer=ISSUER)

    assert first == again
    assert verifications == [token]


def test_a_remembered_token_is_refused_once_it_has_expired(verifications: list[str]) -> None:
    keys = JwtKeys.generate()
    token = _token(keys, lifetime=timedelta(seconds=2))
    claims = decode_access_token(token, keys, issuer=ISSUER)
    time.sleep(max(0.0, int(claims["exp"]) - time.time()) + 0.2)  # past its expiry

    with pytest.raises(InvalidToken, match="expired"):
        decode_access_token(token, keys, issuer=ISSUER)
    assert verifications == [token, token], "not answered from memory"


def test_a_token_changed_by_one_byte_or_checked_with_another_key_is_verified_again(
    verifications: list[str],
) -> None:
    keys, other_keys = JwtKeys.generate(), JwtKeys.generate()
    token = _token(keys)
    decode_access_token(token, keys, issuer=ISSUER)
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"

    with pytest.raises(InvalidToken):
        decode_access_token(tampered, keys, issuer=ISSUER)
    with pytest.raises(InvalidToken):
        decode_access_token(token, other_keys, issuer=ISSUER)
    assert verifications == [token, tampered, token]
