"""Sign-in tokens of the users domain: a short-lived access token (a JWT the other
subgraphs verify) and a rotating refresh token, one family of them per sign-in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import JwtKeys
from domains.kit.config import Settings
from domains.kit.errors import FieldError, InputErrors
from domains.users.errors import UserErrorCode
from domains.users.models import RefreshToken, User
from domains.users.repositories.accounts import user_repository
from domains.users.repositories.sellers import seller_profile_repository
from domains.users.repositories.tokens import (
    count_users_signed_in_since,
    refresh_token_repository,
)
from domains.users.services.accounts import account
from domains.users.tokens import hash_opaque_token, issue_access_token, new_opaque_token

Code = UserErrorCode


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    user: User


@dataclass(frozen=True)
class RefreshTokenReused:
    session: uuid.UUID
    error: FieldError


class TokenService:
    async def create(
        self,
        session: AsyncSession,
        settings: Settings,
        keys: JwtKeys,
        *,
        email: str,
        password: str,
    ) -> TokenPair:
        user = await account.authenticate(session, email=email, password=password)
        return await self._issue(session, settings, keys, user, family_id=uuid.uuid4())

    async def refresh(
        self, session: AsyncSession, settings: Settings, keys: JwtKeys, *, refresh_token: str
    ) -> TokenPair | RefreshTokenReused:
        """Rotate a refresh token.

        Returns RefreshTokenReused instead of raising when the token was already rotated:
        that means it leaked, and the revocation of its whole family must be committed,
        not rolled back with the failed refresh.
        """
        now = _now()
        stored = await refresh_token_repository.get_by_hash_for_update(
            session, hash_opaque_token(refresh_token.strip())
        )
        if stored is None or stored.revoked_at is not None:
            raise InputErrors.single(
                "refreshToken", Code.INVALID_TOKEN, "The refresh token is invalid or revoked."
            )
        if stored.rotated_at is not None:
            await refresh_token_repository.revoke_family(session, stored.family_id, now)
            return RefreshTokenReused(
                stored.family_id,
                FieldError(
                    "refreshToken",
                    Code.TOKEN_REUSED,
                    "The refresh token was already used; every session it started has been "
                    "signed out. Sign in again.",
                ),
            )
        if stored.expires_at <= now:
            raise InputErrors.single(
                "refreshToken", Code.EXPIRED_TOKEN, "The refresh token has expired; sign in again."
            )
        user = await user_repository.get_by_id(session, stored.user_id)
        if user is None or not user.is_active:
            raise InputErrors.single(
                "refreshToken", Code.ACCOUNT_INACTIVE, "This account is deactivated."
            )
        stored.rotated_at = now
        return await self._issue(session, settings, keys, user, family_id=stored.family_id)

    async def revoke(self, session: AsyncSession, *, refresh_token: str) -> uuid.UUID:
        """Revoke the sign-in the refresh token belongs to; return its session id."""
        stored = await refresh_token_repository.get_by_hash_for_update(
            session, hash_opaque_token(refresh_token.strip())
        )
        if stored is None:
            raise InputErrors.single(
                "refreshToken", Code.INVALID_TOKEN, "The refresh token is invalid."
            )
        await refresh_token_repository.revoke_family(session, stored.family_id, _now())
        return stored.family_id

    async def _issue(
        self,
        session: AsyncSession,
        settings: Settings,
        keys: JwtKeys,
        user: User,
        *,
        family_id: uuid.UUID,
    ) -> TokenPair:
        access_token, _, expires_at = issue_access_token(
            keys,
            user_id=user.id,
            roles=list(user.roles),
            session_id=family_id,
            seller_profile_id=next(
                (p.id for p in await seller_profile_repository.get_by_user_ids(session, [user.id])),
                None,
            ),
            issuer=settings.jwt_issuer,
            lifetime=settings.jwt_expiry,
        )
        raw_refresh = new_opaque_token()
        await refresh_token_repository.add(
            session,
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_opaque_token(raw_refresh),
                expires_at=_now() + settings.jwt_refresh_expiry,
            ),
        )
        return TokenPair(access_token, expires_at, raw_refresh, user)

    async def count_users_signed_in_since(self, session: AsyncSession, since: datetime) -> int:
        """Distinct accounts that signed in or refreshed a token since the moment."""
        return await count_users_signed_in_since(session, since)


tokens = TokenService()
