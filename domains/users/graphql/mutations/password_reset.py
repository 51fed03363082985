"""The `passwordReset` mutation: a new password set with a reset token."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domains.users.graphql.payloads import UserPayload
from domains.users.graphql.types import UsersInfo
from domains.users.models import User
from domains.users.revocations import revocations
from domains.users.services.accounts import account


@strawberry.type
class PasswordResetPayload(UserPayload):
    pass


async def password_reset(info: UsersInfo, token: str, password: str) -> PasswordResetPayload:
    async def change(session: AsyncSession) -> User:
        outcome = await account.reset_password(session, token=token, password=password)
        await revocations.revoke(
            session, info.context.resources.revocations, sessions=outcome.sessions
        )
        return outcome.user

    return await PasswordResetPayload.of_change(info, change, owner_proven=True)
