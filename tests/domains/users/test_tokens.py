"""Signing in, access-token verification, refresh-token rotation and signing out."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import select, update

from domains.kit.auth import JwtKeys
from domains.kit.config import Settings
from domains.kit.resources import Resources
from domains.users.models import RefreshToken
from domains.users.tokens import hash_opaque_token
from tests.domains.users.helpers import (
    ME,
    PASSWORD,
    TOKEN_CREATE,
    get_user,
    insert_user,
    mint_access_token,
    refresh,
    set_user_fields,
    sign_in,
    start_session,
)
from tests.support.graphql import GraphQLClient

TOKEN_REVOKE = """
mutation Revoke($refreshToken: String!) {
  tokenRevoke(refreshToken: $refreshToken) { revoked errors { field code message } }
}
"""

INVALID_CREDENTIALS = {
    "field": None,
    "code": "INVALID_CREDENTIALS",
    "message": "The email or password is incorrect.",
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def _claims(settings: Settings, user_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": "shopgraph",
        "sub": str(user_id),
        "roles": ["CUSTOMER"],
        "typ": "access",
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    claims.update(overrides)
    return claims


def _expired_token(settings: Settings, keys: JwtKeys, user_id: uuid.UUID) -> str:
    """Properly signed with the real key, but an hour past its expiry."""
    assert keys.private_pem is not None
    now = datetime.now(UTC)
    claims = _claims(
        settings,
        user_id,
        iat=int((now - timedelta(hours=2)).timestamp()),
        exp=int((now - timedelta(hours=1)).timestamp()),
    )
    return jwt.encode(claims, keys.private_pem, algorithm="RS256", headers={"kid": keys.key_id})


async def _me_refused(client: GraphQLClient, token: str) -> dict[str, Any]:
    """Ask `me` with a token that must be refused; return the single error."""
    response = await client.execute(ME, token=token)
    assert response.status_code == 200
    assert response.data == {"me": None}
    assert response.error_codes == ["UNAUTHENTICATED"], response.errors
    assert response.errors[0]["path"] == ["me"]
    return response.errors[0]


async def _family(resources: Resources, user_id: uuid.UUID) -> list[RefreshToken]:
    async with resources.session_factory() as session:
        rows = await session.scalars(
            select(RefreshToken)
            .where(RefreshToken.user_id == user_id)
            .order_by(RefreshToken.created_at, RefreshToken.id)
        )
        return list(rows.all())


async def test_token_create_issues_an_rs256_jwt_with_the_expected_claims(
    users_client: GraphQLClient, resources: Resources, settings: Settings, jwt_keys: JwtKeys
) -> None:
    user_id = await insert_user(resources, "ada@example.com", roles=["CUSTOMER"])

    response = await users_client.execute(
        TOKEN_CREATE, {"email": " ADA@example.com ", "password": PASSWORD}
    )

    payload = response.ok()["tokenCreate"]
    assert payload["errors"] == []
    assert payload["user"] == {"id": str(user_id), "email": "ada@example.com"}
    token = payload["accessToken"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == jwt_keys.key_id
    claims = jwt.decode(
        token,
        jwt_keys.public_pem,
        algorithms=["RS256"],
        audience="shopgraph",
        issuer=settings.jwt_issuer,
    )
    assert set(claims) == {"iss", "aud", "sub", "roles", "typ", "jti", "sid", "iat", "exp"}
    assert claims["sub"] == str(user_id)
    assert claims["roles"] == ["CUSTOMER"]
    assert claims["iss"] == settings.jwt_issuer
    assert claims["aud"] == "shopgraph"
    assert claims["typ"] == "access"
    assert len(claims["jti"]) == 32
    # The sign-in session is the refresh token's family: revoking one ends both.
    async with resources.session_factory() as db:
        family = await db.scalar(
            select(RefreshToken.family_id).where(
                RefreshToken.token_hash == hash_opaque_token(payload["refreshToken"])
            )
        )
    assert claims["sid"] == str(family)
    assert claims["exp"] - claims["iat"] == int(settings.jwt_expiry.total_seconds())
    expires_at = datetime.fromisoformat(payload["accessTokenExpiresAt"])
    assert claims["exp"] == int(expires_at.timestamp())
    # The refresh token is opaque, and only its hash is stored.
    assert "." not in payload["refreshToken"]
    [stored] = await _family(resources, user_id)
    assert stored.token_hash == hash_opaque_token(payload["refreshToken"])
    assert stored.rotated_at is None
    assert stored.revoked_at is None


async def test_unknown_email_and_wrong_password_are_indistinguishable(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")

    unknown = await users_client.execute(
        TOKEN_CREATE, {"email": "nobody@example.com", "password": PASSWORD}
    )
    wrong = await users_client.execute(
        TOKEN_CREATE, {"email": "ada@example.com", "password": PASSWORD + "!"}
    )

    assert unknown.body == wrong.body
    payload = wrong.ok()["tokenCreate"]
    assert payload["errors"] == [INVALID_CREDENTIALS]
    assert payload["accessToken"] is None
    assert payload["refreshToken"] is None
    assert payload["user"] is None
    assert await _family(resources, user_id) == []


async def test_me_answers_with_a_valid_token(
    users_client: GraphQLClient, resources: Resources
) -> None:
    await insert_user(resources, "ada@example.com", name="Ada")
    session = await sign_in(users_client, "ada@example.com")

    me = (await users_client.execute(ME, token=session.access_token)).ok()["me"]
    anonymous = (await users_client.execute(ME)).ok()["me"]

    assert me == {
        "id": session.user_id,
        "name": "Ada",
        "email": "ada@example.com",
        "roles": ["CUSTOMER"],
        "isEmailConfirmed": False,
    }
    assert anonymous is None


async def test_expired_token_is_refused_naming_the_expiry(
    users_client: GraphQLClient, resources: Resources, settings: Settings, jwt_keys: JwtKeys
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    expired = _expired_token(settings, jwt_keys, user_id)

    error = await _me_refused(users_client, expired)

    assert error["message"] == "The access token has expired."


async def test_a_freshly_minted_token_with_the_session_key_is_accepted(
    users_client: GraphQLClient, resources: Resources, settings: Settings, jwt_keys: JwtKeys
) -> None:
    # The control for the forgeries below: the same construction, signed properly, works.
    user_id = await insert_user(resources, "ada@example.com")
    assert jwt_keys.private_pem is not None
    token = jwt.encode(_claims(settings, user_id), jwt_keys.private_pem, algorithm="RS256")

    me = (await users_client.execute(ME, token=token)).ok()["me"]

    assert me["id"] == str(user_id)


async def test_tampered_payload_is_refused(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    token = mint_access_token(resources, user_id)
    header, payload, signature = token.split(".")

    # One character flipped in the middle of the payload.
    middle = len(payload) // 2
    flipped = "B" if payload[middle] == "A" else "A"
    flipped_payload = payload[:middle] + flipped + payload[middle + 1 :]
    # A well-formed payload granting STAFF, with the original signature.
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    escalated_payload = _b64url_json({**claims, "roles": ["CUSTOMER", "STAFF"]})

    for forged in (
        f"{header}.{flipped_payload}.{signature}",
        f"{header}.{escalated_payload}.{signature}",
    ):
        error = await _me_refused(users_client, forged)
        assert error["message"] == "The access token is invalid."


async def test_hs256_token_signed_with_the_public_key_is_refused(
    users_client: GraphQLClient, resources: Resources, settings: Settings, jwt_keys: JwtKeys
) -> None:
    # The classic algorithm-confusion attack: a verifier that trusts the header's `alg`
    # would check this HMAC with the (public) key and accept it. pyjwt refuses to even
    # encode it, so the token is built by hand.
    user_id = await insert_user(resources, "ada@example.com")
    signing_input = (
        f"{_b64url_json({'alg': 'HS256', 'typ': 'JWT', 'kid': jwt_keys.key_id})}."
        f"{_b64url_json(_claims(settings, user_id, roles=['STAFF']))}"
    )
    mac = hmac.new(jwt_keys.public_pem.encode(), signing_input.encode(), hashlib.sha256)
    forged = f"{signing_input}.{_b64url(mac.digest())}"

    error = await _me_refused(users_client, forged)

    assert error["message"] == "The access token must be signed with RS256."


async def test_unsigned_alg_none_token_is_refused(
    users_client: GraphQLClient, resources: Resources, settings: Settings
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    forged = (
        f"{_b64url_json({'alg': 'none', 'typ': 'JWT'})}.{_b64url_json(_claims(settings, user_id))}."
    )

    error = await _me_refused(users_client, forged)

    assert error["message"] == "The access token must be signed with RS256."


async def test_token_signed_by_another_rsa_key_is_refused(
    users_client: GraphQLClient, resources: Resources, settings: Settings, jwt_keys: JwtKeys
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    other = JwtKeys.generate()
    assert other.private_pem is not None
    forged = jwt.encode(
        _claims(settings, user_id),
        other.private_pem,
        algorithm="RS256",
        # Even claiming the real key id does not help.
        headers={"kid": jwt_keys.key_id},
    )

    error = await _me_refused(users_client, forged)

    assert error["message"] == "The access token is invalid."


async def test_malformed_authorization_header_is_refused_but_public_fields_answer(
    users_client: GraphQLClient,
) -> None:
    response = await users_client.execute(
        "query { me { id } sellers { totalCount } }", headers={"Authorization": "Token abc"}
    )

    assert response.data == {"me": None, "sellers": {"totalCount": 0}}
    assert response.error_codes == ["UNAUTHENTICATED"]
    assert response.errors[0]["message"] == "The Authorization header must be 'Bearer <token>'."


async def test_refresh_rotates_the_pair_and_spends_the_old_refresh_token(
    users_client: GraphQLClient, resources: Resources, jwt_keys: JwtKeys
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    first = await start_session(resources, user_id)

    rotated = await refresh(users_client, first.refresh_token)

    assert rotated["errors"] == []
    assert rotated["user"] == {"id": str(user_id), "roles": ["CUSTOMER"]}
    assert rotated["refreshToken"] != first.refresh_token
    assert rotated["accessToken"] != first.access_token
    assert jwt.get_unverified_header(rotated["accessToken"])["kid"] == jwt_keys.key_id
    me = (await users_client.execute(ME, token=rotated["accessToken"])).ok()["me"]
    assert me["id"] == str(user_id)
    old, new = await _family(resources, user_id)
    assert old.token_hash == hash_opaque_token(first.refresh_token)
    assert old.rotated_at is not None
    assert new.token_hash == hash_opaque_token(rotated["refreshToken"])
    assert new.family_id == old.family_id
    assert (new.rotated_at, new.revoked_at) == (None, None)
    # The replacement is itself good for exactly one more rotation.
    assert (await refresh(users_client, rotated["refreshToken"]))["errors"] == []


async def test_unknown_refresh_token_is_refused(users_client: GraphQLClient) -> None:
    payload = await refresh(users_client, "not-a-token")

    assert payload["accessToken"] is None
    assert payload["errors"] == [
        {
            "field": "refreshToken",
            "code": "INVALID_TOKEN",
            "message": "The refresh token is invalid or revoked.",
        }
    ]


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    stolen = await start_session(resources, user_id)
    other_device = await start_session(resources, user_id)
    legitimate = await refresh(users_client, stolen.refresh_token)
    assert legitimate["errors"] == []

    reuse = await refresh(users_client, stolen.refresh_token)

    assert reuse["accessToken"] is None
    assert reuse["refreshToken"] is None
    assert [(e["field"], e["code"]) for e in reuse["errors"]] == [("refreshToken", "TOKEN_REUSED")]
    # The access tokens of the family stop working, the other device's do not ...
    for access_token in (stolen.access_token, legitimate["accessToken"]):
        assert (await _me_refused(users_client, access_token))["message"] == (
            "The access token has been revoked."
        )
    assert (await users_client.execute(ME, token=other_device.access_token)).ok()["me"]
    # ... the token the legitimate rotation produced is dead too ...
    after = await refresh(users_client, legitimate["refreshToken"])
    assert [e["code"] for e in after["errors"]] == ["INVALID_TOKEN"]
    assert after["accessToken"] is None
    # ... and that is because the revocation was committed, not rolled back with the
    # failed refresh: read it back in a fresh session.
    rows = await _family(resources, user_id)
    family_id = next(
        r.family_id for r in rows if r.token_hash == hash_opaque_token(stolen.refresh_token)
    )
    family = [r for r in rows if r.family_id == family_id]
    others = [r for r in rows if r.family_id != family_id]
    assert len(family) == 2
    assert all(r.revoked_at is not None for r in family)
    # Another sign-in is another family, and is untouched.
    assert [(r.revoked_at, r.rotated_at) for r in others] == [(None, None)]
    assert (await refresh(users_client, other_device.refresh_token))["errors"] == []


async def test_token_revoke_signs_out_refresh_and_access_token(
    users_client: GraphQLClient, resources: Resources, settings: Settings
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    session = await start_session(resources, user_id)
    jti = jwt.decode(session.access_token, options={"verify_signature": False})["jti"]
    key = resources.revocations.token_key(jti)
    assert await resources.redis.exists(key) == 0

    response = await users_client.execute(
        TOKEN_REVOKE, {"refreshToken": session.refresh_token}, token=session.access_token
    )

    assert response.ok()["tokenRevoke"] == {"revoked": True, "errors": []}
    ttl = await resources.redis.ttl(key)
    assert 0 < ttl <= int(settings.jwt_expiry.total_seconds())
    error = await _me_refused(users_client, session.access_token)
    assert error["message"] == "The access token has been revoked."
    refused = await refresh(users_client, session.refresh_token)
    assert [e["code"] for e in refused["errors"]] == ["INVALID_TOKEN"]
    [stored] = await _family(resources, user_id)
    assert stored.revoked_at is not None
    assert stored.rotated_at is None


async def test_token_revoke_with_an_unknown_refresh_token_changes_nothing(
    users_client: GraphQLClient, resources: Resources, settings: Settings
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    session = await start_session(resources, user_id)
    jti = jwt.decode(session.access_token, options={"verify_signature": False})["jti"]

    response = await users_client.execute(
        TOKEN_REVOKE, {"refreshToken": "not-a-token"}, token=session.access_token
    )

    assert response.ok()["tokenRevoke"] == {
        "revoked": False,
        "errors": [
            {
                "field": "refreshToken",
                "code": "INVALID_TOKEN",
                "message": "The refresh token is invalid.",
            }
        ],
    }
    assert await resources.redis.exists(resources.revocations.token_key(jti)) == 0
    assert (await users_client.execute(ME, token=session.access_token)).ok()["me"] is not None


async def test_deactivated_account_can_neither_sign_in_nor_refresh(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    session = await start_session(resources, user_id)
    await set_user_fields(resources, user_id, is_active=False)

    sign_in_response = await users_client.execute(
        TOKEN_CREATE, {"email": "ada@example.com", "password": PASSWORD}
    )
    refreshed = await refresh(users_client, session.refresh_token)

    payload = sign_in_response.ok()["tokenCreate"]
    assert payload["accessToken"] is None
    assert payload["errors"] == [
        {"field": None, "code": "ACCOUNT_INACTIVE", "message": "This account is deactivated."}
    ]
    assert refreshed["accessToken"] is None
    assert [(e["field"], e["code"]) for e in refreshed["errors"]] == [
        ("refreshToken", "ACCOUNT_INACTIVE")
    ]
    # The refused refresh did not spend the token, and no new one was issued.
    [stored] = await _family(resources, user_id)
    assert (stored.rotated_at, stored.revoked_at) == (None, None)
    # A wrong password on a deactivated account still says only "incorrect".
    wrong = await users_client.execute(
        TOKEN_CREATE, {"email": "ada@example.com", "password": "wrong password!"}
    )
    assert wrong.ok()["tokenCreate"]["errors"] == [INVALID_CREDENTIALS]
    assert (await get_user(resources, user_id)).is_active is False


async def test_token_revoke_with_an_expired_access_token_still_signs_out(
    users_client: GraphQLClient, resources: Resources, settings: Settings, jwt_keys: JwtKeys
) -> None:
    # A user coming back after the access token expired and pressing "sign out": the
    # refresh token is the credential being revoked, and the answer must say it was.
    user_id = await insert_user(resources, "ada@example.com")
    session = await start_session(resources, user_id)
    expired = _expired_token(settings, jwt_keys, user_id)

    response = await users_client.execute(
        TOKEN_REVOKE, {"refreshToken": session.refresh_token}, token=expired
    )

    assert response.ok()["tokenRevoke"] == {"revoked": True, "errors": []}
    refused = await refresh(users_client, session.refresh_token)
    assert [e["code"] for e in refused["errors"]] == ["INVALID_TOKEN"]
    [stored] = await _family(resources, user_id)
    assert stored.revoked_at is not None


async def test_anonymous_token_revoke_signs_out_the_refresh_token(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    session = await start_session(resources, user_id)

    response = await users_client.execute(TOKEN_REVOKE, {"refreshToken": session.refresh_token})

    assert response.ok()["tokenRevoke"] == {"revoked": True, "errors": []}
    assert [e["code"] for e in (await refresh(users_client, session.refresh_token))["errors"]] == [
        "INVALID_TOKEN"
    ]
    # Nothing identified an access token, so none was marked revoked.
    assert [k async for k in resources.redis.scan_iter(match="*revoked-access-token*")] == []


async def test_expired_refresh_token_is_refused(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    session = await start_session(resources, user_id)
    async with resources.session_factory() as db, db.begin():
        await db.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    payload = await refresh(users_client, session.refresh_token)

    assert payload["accessToken"] is None
    assert payload["errors"] == [
        {
            "field": "refreshToken",
            "code": "EXPIRED_TOKEN",
            "message": "The refresh token has expired; sign in again.",
        }
    ]
    [stored] = await _family(resources, user_id)
    assert stored.rotated_at is None


async def test_concurrent_refreshes_of_one_token_let_exactly_one_through(
    users_client: GraphQLClient, resources: Resources
) -> None:
    # Without the row lock both would read "not rotated yet" and fork the family.
    user_id = await insert_user(resources, "ada@example.com")
    session = await start_session(resources, user_id)

    payloads = await asyncio.gather(
        *(refresh(users_client, session.refresh_token) for _ in range(2))
    )

    codes = sorted(e["code"] for p in payloads for e in p["errors"])
    assert codes == ["TOKEN_REUSED"]
    assert sum(1 for p in payloads if p["accessToken"] is not None) == 1
    # The second presentation looks like theft, so the family is revoked.
    rows = await _family(resources, user_id)
    assert len(rows) == 2
    assert all(r.revoked_at is not None for r in rows)


async def test_jwks_publishes_the_key_that_verifies_access_tokens(
    users_client: GraphQLClient, resources: Resources, jwt_keys: JwtKeys
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    token = mint_access_token(resources, user_id)

    response = await users_client.http.get("/.well-known/jwks.json")

    assert response.status_code == 200
    [key] = response.json()["keys"]
    assert (key["kid"], key["alg"], key["use"], key["kty"]) == (
        jwt_keys.key_id,
        "RS256",
        "sig",
        "RSA",
    )
    assert key["kid"] == jwt.get_unverified_header(token)["kid"]
    public_key = jwt.PyJWK(key).key
    claims = jwt.decode(token, public_key, algorithms=["RS256"], audience="shopgraph")
    assert claims["typ"] == "access"
