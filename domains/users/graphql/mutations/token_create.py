"""The `tokenCreate` mutation: sign in for an access and a refresh token."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.errors import UserErrorCode
from domains.users.graphql.types import User, UserError, UsersInfo, user_errors
from domains.users.services.tokens import tokens
from domains.users.throttle import Throttle


@strawberry.type
class TokenCreatePayload:
    access_token: str | None = strawberry.field(
        default=None, description="RS256 JWT; send as `Authorization: Bearer <token>`."
    )
    access_token_expires_at: datetime | None = None
    refresh_token: str | None = strawberry.field(
        default=None, description="Opaque, single-use; exchange with tokenRefresh."
    )
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def token_create(info: UsersInfo, email: str, password: str) -> TokenCreatePayload:
    resources = info.context.resources
    throttle = Throttle.of(resources)
    client_ip = info.context.client_ip
    try:
        # A locked sign-in is refused before the password is checked: a right password
        # waits too, or guessing would simply go on through the lock.
        await throttle.check_sign_in(email, client_ip)
        async with unit_of_work(info) as session:
            pair = await tokens.create(
                session, resources.settings, resources.jwt_keys, email=email, password=password
            )
    except InputErrors as error:
        if any(item.code is UserErrorCode.INVALID_CREDENTIALS for item in error.errors):
            await throttle.sign_in_failed(email, client_ip)
        return TokenCreatePayload(errors=user_errors(error))
    await throttle.sign_in_succeeded(email)
    return TokenCreatePayload(
        access_token=pair.access_token,
        access_token_expires_at=pair.access_token_expires_at,
        refresh_token=pair.refresh_token,
        user=User.from_model(pair.user, owner_proven=True),
    )
