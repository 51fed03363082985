"""The `requestPasswordReset` mutation: mail a password reset link."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import UserError, UsersInfo, user_errors
from domains.users.services.accounts import account
from domains.users.throttle import Throttle


@strawberry.type
class RequestPasswordResetPayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


async def request_password_reset(info: UsersInfo, email: str) -> RequestPasswordResetPayload:
    throttle = Throttle.of(info.context.resources)
    client_ip = info.context.client_ip
    try:
        await throttle.check_account_request(email, client_ip)
        async with unit_of_work(info) as session:
            await account.request_password_reset(
                session, info.context.resources.settings, email=email
            )
    except InputErrors as error:
        return RequestPasswordResetPayload(errors=user_errors(error))
    await throttle.account_request_made(email, client_ip)
    return RequestPasswordResetPayload()
