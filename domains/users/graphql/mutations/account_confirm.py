"""The `accountConfirm` mutation: confirm an email address with its mailed token."""

from __future__ import annotations

import strawberry

from domains.users.graphql.payloads import UserPayload
from domains.users.graphql.types import UsersInfo
from domains.users.services.accounts import account


@strawberry.type
class AccountConfirmPayload(UserPayload):
    pass


async def account_confirm(info: UsersInfo, token: str) -> AccountConfirmPayload:
    return await AccountConfirmPayload.of_change(
        info, lambda session: account.confirm_email(session, token=token), owner_proven=True
    )
