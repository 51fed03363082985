"""The `passwordReset` mutation: a new password set with a reset token."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import User, UserError, UsersInfo, user_errors
from domains.users.revocations import revocations
from domains.users.services.accounts import account


@strawberry.type
class PasswordResetPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def password_reset(info: UsersInfo, token: str, password: str) -> PasswordResetPayload:
    try:
        async with unit_of_work(info) as session:
            outcome = await account.reset_password(session, token=token, password=password)
            await revocations.revoke(
                session, info.context.resources.revocations, sessions=outcome.sessions
            )
    except InputErrors as error:
        return PasswordResetPayload(errors=user_errors(error))
    return PasswordResetPayload(user=User.from_model(outcome.user, owner_proven=True))
