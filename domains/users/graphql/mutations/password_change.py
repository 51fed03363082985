"""The `passwordChange` mutation: a new password, signing out the other sign-ins."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import User, UserError, UsersInfo, user_errors
from domains.users.revocations import revocations
from domains.users.services.accounts import account


@strawberry.type
class PasswordChangePayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def password_change(
    info: UsersInfo, old_password: str, new_password: str
) -> PasswordChangePayload:
    try:
        async with unit_of_work(info) as session:
            outcome = await account.change_password(
                session, info.context.viewer, old_password=old_password, new_password=new_password
            )
            await revocations.revoke(
                session, info.context.resources.revocations, sessions=outcome.sessions
            )
    except InputErrors as error:
        return PasswordChangePayload(errors=user_errors(error))
    return PasswordChangePayload(user=User.from_model(outcome.user))
