"""SQL of the users domain's accounts: the account rows and their one-use links' tokens
(email confirmation, password reset)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import all_rows, get_for_update
from domains.users.models import AccountToken, User


class UserRepository:
    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[User]:
        return await all_rows(session, select(User).where(User.id.in_(ids)))

    async def get_public_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Row[uuid.UUID, str, list[str], datetime]]:
        """Only the columns any viewer may see: id, name, roles, created_at."""
        result = await session.execute(
            select(User.id, User.name, User.roles, User.created_at).where(User.id.in_(ids))
        )
        return result.all()

    async def get_by_id(self, session: AsyncSession, user_id: uuid.UUID) -> User | None:
        return await session.get(User, user_id)

    async def get_by_id_for_update(self, session: AsyncSession, user_id: uuid.UUID) -> User | None:
        return await get_for_update(session, User, user_id)

    async def get_by_email(self, session: AsyncSession, email: str) -> User | None:
        return await session.scalar(select(User).where(func.lower(User.email) == email.lower()))

    async def add(self, session: AsyncSession, user: User) -> User:
        session.add(user)
        await session.flush()
        return user


class AccountTokenRepository:
    async def add(self, session: AsyncSession, token: AccountToken) -> None:
        session.add(token)
        await session.flush()

    async def get_by_hash_for_update(
        self, session: AsyncSession, purpose: str, token_hash: str
    ) -> AccountToken | None:
        # The hash is unique on its own; a token made for another purpose is no token here.
        token = await get_for_update(session, AccountToken, token_hash, by=AccountToken.token_hash)
        return token if token is not None and token.purpose == purpose else None

    async def invalidate_unused(
        self, session: AsyncSession, user_id: uuid.UUID, purpose: str, at: datetime
    ) -> None:
        await session.execute(
            update(AccountToken)
            .where(
                AccountToken.user_id == user_id,
                AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None),
            )
            .values(used_at=at)
        )


user_repository = UserRepository()
account_token_repository = AccountTokenRepository()
