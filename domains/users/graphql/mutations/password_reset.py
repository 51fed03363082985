from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import User, UserError, UsersInfo, user_errors
from domains.users.service import account


@strawberry.type
class PasswordResetPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def password_reset(info: UsersInfo, token: str, password: str) -> PasswordResetPayload:
    try:
        async with unit_of_work(info) as session:
            outcome = await account.reset_password(session, token=token, password=password)
    except InputErrors as error:
        return PasswordResetPayload(errors=user_errors(error))
    await info.context.resources.revocations.revoke_sessions(outcome.sessions)
    return PasswordResetPayload(user=User.from_model(outcome.user, owner_proven=True))
