"""The `accountUpdate` mutation: change the signed-in account's profile."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import User, UserError, UsersInfo, user_errors
from domains.users.services.accounts import account


@strawberry.input(description="Fields left out are not changed.")
class AccountUpdateInput:
    name: str | None = None


@strawberry.type
class AccountUpdatePayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def account_update(info: UsersInfo, input: AccountUpdateInput) -> AccountUpdatePayload:
    try:
        async with unit_of_work(info) as session:
            user = await account.update(session, info.context.viewer, name=input.name)
    except InputErrors as error:
        return AccountUpdatePayload(errors=user_errors(error))
    return AccountUpdatePayload(user=User.from_model(user))
