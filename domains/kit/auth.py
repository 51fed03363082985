"""Who is asking: RS256 access tokens, verified the same way in every domain.

Tokens are issued by the users domain; every subgraph (and later the gateway) only
needs the public key to know the viewer. Only RS256 is accepted, so a token signed with
HS256 using the public key as the secret, or one with `alg: none`, is refused.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from domains.kit.config import Settings
from domains.kit.errors import AuthenticationRequired, PermissionDenied

ALGORITHM = "RS256"
AUDIENCE = "shopgraph"


class Role(StrEnum):
    CUSTOMER = "CUSTOMER"
    SELLER = "SELLER"
    STAFF = "STAFF"


@dataclass(frozen=True)
class Viewer:
    """The authenticated caller of one request, or an anonymous one."""

    user_id: UUID | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    token_id: str | None = None
    token_expires_at: datetime | None = None
    # The sign-in (refresh token family) the access token belongs to.
    session_id: str | None = None
    # The seller profile (shop) the account runs, for domains that check ownership.
    seller_profile_id: UUID | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_staff(self) -> bool:
        return Role.STAFF in self.roles

    def require_user(self) -> UUID:
        if self.user_id is None:
            raise AuthenticationRequired()
        return self.user_id

    def require_staff(self, message: str) -> UUID:
        """Signed in (else AuthenticationRequired) and staff (else PermissionDenied with
        `message`, which says who may)."""
        user_id = self.require_user()
        if not self.is_staff:
            raise PermissionDenied(message)
        return user_id

    def require_self_or_staff(self, user_id: UUID) -> None:
        if self.require_user() != user_id and not self.is_staff:
            raise PermissionDenied()


ANONYMOUS = Viewer()


@dataclass(frozen=True)
class JwtKeys:
    public_pem: str
    private_pem: str | None = field(default=None, repr=False)

    @property
    def key_id(self) -> str:
        """RFC 7638 thumbprint of the public key, published in the JWKS as `kid`."""
        jwk = self.public_jwk_fields()
        canonical = json.dumps(
            {name: jwk[name] for name in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True
        )
        digest = hashlib.sha256(canonical.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def public_jwk_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._public_key()))
        return fields

    def jwks(self) -> dict[str, Any]:
        return {
            "keys": [
                {**self.public_jwk_fields(), "kid": self.key_id, "use": "sig", "alg": ALGORITHM}
            ]
        }

    def _public_key(self) -> rsa.RSAPublicKey:
        return _loaded_public_key(self.public_pem)

    @classmethod
    def from_settings(cls, settings: Settings) -> JwtKeys:
        if settings.jwt_public_key is None:
            raise RuntimeError("JWT keys are not resolved: start through `shopgraph` or set them")
        return cls(public_pem=settings.jwt_public_key, private_pem=settings.jwt_private_key)

    @classmethod
    def generate(cls) -> JwtKeys:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public_pem = (
            private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        return cls(public_pem=public_pem, private_pem=private_pem)


class InvalidToken(AuthenticationRequired):
    pass


@functools.lru_cache(maxsize=8)
def _loaded_public_key(pem: str) -> rsa.RSAPublicKey:
    """The PEM parsed once: every request's verification used to parse it anew."""
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("JWT_PUBLIC_KEY is not an RSA public key")
    return key


class _VerifiedTokens:
    """Tokens whose signature and claims this process verified, until they expire.

    An RSA verification is most of what authenticating a request costs, and a shopper
    sends the same token with every request for its lifetime. The cache is keyed by the
    whole token (any other byte is another token), the key it was verified with and the
    issuer; an entry is dropped at the token's expiry, and the least recently used goes
    when full. Revocation is not cached here: it is checked on every request
    (domains/kit/graphql/context.py).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._claims: OrderedDict[tuple[str, str, str], dict[str, Any]] = OrderedDict()

    def get(self, key: tuple[str, str, str]) -> dict[str, Any] | None:
        claims = self._claims.get(key)
        if claims is None:
            return None
        if int(claims["exp"]) <= time.time():
            del self._claims[key]
            return None
        self._claims.move_to_end(key)
        return dict(claims)

    def put(self, key: tuple[str, str, str], claims: dict[str, Any]) -> None:
        self._claims[key] = dict(claims)
        self._claims.move_to_end(key)
        while len(self._claims) > self._size:
            self._claims.popitem(last=False)


_verified = _VerifiedTokens(size=10_000)


def decode_access_token(token: str, keys: JwtKeys, *, issuer: str) -> dict[str, Any]:
    """Verify signature, algorithm, expiry, issuer and audience; raise InvalidToken otherwise."""
    key = (keys.public_pem, issuer, token)
    if (known := _verified.get(key)) is not None:
        return known
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _loaded_public_key(keys.public_pem),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("The access token has expired.") from None
    except jwt.InvalidAlgorithmError:
        raise InvalidToken("The access token must be signed with RS256.") from None
    except jwt.InvalidTokenError:
        raise InvalidToken("The access token is invalid.") from None
    if claims.get("typ") != "access":
        raise InvalidToken("The access token is invalid.")
    _verified.put(key, claims)
    return claims


def viewer_from_claims(claims: dict[str, Any]) -> Viewer:
    try:
        user_id = UUID(str(claims["sub"]))
        roles = frozenset(Role(role) for role in claims.get("roles", []))
    except (ValueError, TypeError):
        raise InvalidToken("The access token is invalid.") from None
    return Viewer(
        user_id=user_id,
        roles=roles,
        token_id=str(claims["jti"]),
        token_expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        session_id=str(claims["sid"]) if claims.get("sid") else None,
        seller_profile_id=_optional_uuid(claims.get("shop")),
    )


def _optional_uuid(value: object) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidToken("The access token is invalid.") from None


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("The Authorization header must be 'Bearer <token>'.")
    return token.strip()
