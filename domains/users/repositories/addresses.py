"""SQL of the users domain's address book: the postal addresses an account keeps."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import all_rows, get_for_update
from domains.users.models import Address


class AddressRepository:
    async def list_by_user_ids(
        self, session: AsyncSession, user_ids: Sequence[uuid.UUID]
    ) -> Sequence[Address]:
        return await all_rows(
            session,
            select(Address)
            .where(Address.user_id.in_(user_ids))
            .order_by(Address.created_at, Address.id),
        )

    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Address]:
        return await all_rows(session, select(Address).where(Address.id.in_(ids)))

    async def get_for_update(self, session: AsyncSession, address_id: uuid.UUID) -> Address | None:
        return await get_for_update(session, Address, address_id)

    async def count_for_user(self, session: AsyncSession, user_id: uuid.UUID) -> int:
        count = await session.scalar(
            select(func.count()).select_from(Address).where(Address.user_id == user_id)
        )
        return int(count or 0)

    async def add(self, session: AsyncSession, address: Address) -> None:
        session.add(address)
        await session.flush()

    async def clear_default(
        self, session: AsyncSession, user_id: uuid.UUID, *, shipping: bool, billing: bool
    ) -> None:
        if shipping:
            await session.execute(
                update(Address)
                .where(Address.user_id == user_id, Address.is_default_shipping)
                .values(is_default_shipping=False)
            )
        if billing:
            await session.execute(
                update(Address)
                .where(Address.user_id == user_id, Address.is_default_billing)
                .values(is_default_billing=False)
            )

    async def delete(self, session: AsyncSession, address: Address) -> None:
        await session.execute(delete(Address).where(Address.id == address.id))


address_repository = AddressRepository()
