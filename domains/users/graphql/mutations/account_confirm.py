"""The `accountConfirm` mutation: confirm an email address with its mailed token."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import User, UserError, UsersInfo, user_errors
from domains.users.services.accounts import account


@strawberry.type
class AccountConfirmPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def account_confirm(info: UsersInfo, token: str) -> AccountConfirmPayload:
    try:
        async with unit_of_work(info) as session:
            user = await account.confirm_email(session, token=token)
    except InputErrors as error:
        return AccountConfirmPayload(errors=user_errors(error))
    return AccountConfirmPayload(user=User.from_model(user, owner_proven=True))
