"""The `tokenRefresh` mutation: exchange a refresh token for new tokens."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import User, UserError, UsersInfo, user_errors
from domains.users.revocations import revocations
from domains.users.services.tokens import RefreshTokenReused, tokens


@strawberry.type
class TokenRefreshPayload:
    access_token: str | None = None
    access_token_expires_at: datetime | None = None
    refresh_token: str | None = strawberry.field(
        default=None, description="The replacement; the token sent is now spent."
    )
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def token_refresh(info: UsersInfo, refresh_token: str) -> TokenRefreshPayload:
    resources = info.context.resources
    try:
        async with unit_of_work(info) as session:
            outcome = await tokens.refresh(
                session, resources.settings, resources.jwt_keys, refresh_token=refresh_token
            )
            if isinstance(outcome, RefreshTokenReused):
                # The family's access tokens stop working too. The revocation is
                # committed even when Redis is unreachable: a replayed refresh token
                # must not get another try (domains/users/revocations.py).
                await revocations.revoke(
                    session,
                    resources.revocations,
                    sessions=[outcome.session],
                    commit_without_cache=True,
                )
    except InputErrors as error:
        return TokenRefreshPayload(errors=user_errors(error))
    if isinstance(outcome, RefreshTokenReused):
        return TokenRefreshPayload(errors=user_errors(InputErrors(outcome.error)))
    return TokenRefreshPayload(
        access_token=outcome.access_token,
        access_token_expires_at=outcome.access_token_expires_at,
        refresh_token=outcome.refresh_token,
        user=User.from_model(outcome.user, owner_proven=True),
    )
