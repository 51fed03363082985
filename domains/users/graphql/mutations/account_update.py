"""The `accountUpdate` mutation: change the signed-in account's profile."""

from __future__ import annotations

import strawberry

from domains.users.graphql.payloads import UserPayload
from domains.users.graphql.types import UsersInfo
from domains.users.services.accounts import account


@strawberry.input(description="Fields left out are not changed.")
class AccountUpdateInput:
    name: str | None = None


@strawberry.type
class AccountUpdatePayload(UserPayload):
    pass


async def account_update(info: UsersInfo, input: AccountUpdateInput) -> AccountUpdatePayload:
    viewer = info.context.viewer
    return await AccountUpdatePayload.of_change(
        info, lambda session: account.update(session, viewer, name=input.name)
    )
