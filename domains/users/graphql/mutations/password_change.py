"""The `passwordChange` mutation: a new password, signing out the other sign-ins."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domains.users.graphql.payloads import UserPayload
from domains.users.graphql.types import UsersInfo
from domains.users.models import User
from domains.users.revocations import revocations
from domains.users.services.accounts import account


@strawberry.type
class PasswordChangePayload(UserPayload):
    pass


async def password_change(
    info: UsersInfo, old_password: str, new_password: str
) -> PasswordChangePayload:
    async def change(session: AsyncSession) -> User:
        outcome = await account.change_password(
            session, info.context.viewer, old_password=old_password, new_password=new_password
        )
        await revocations.revoke(
            session, info.context.resources.revocations, sessions=outcome.sessions
        )
        return outcome.user

    return await PasswordChangePayload.of_change(info, change)
