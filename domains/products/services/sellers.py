"""Sellers: which users run which shops, as the users domain reports it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.cache import mark_stale
from domains.products import cache as keys
from domains.products.models import Seller
from domains.products.repositories.sellers import seller_repository


class SellerService:
    async def link(self, session: AsyncSession, seller_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Record who runs a shop (the users domain's SellerProfileCreated, once events flow)."""
        await seller_repository.link(session, seller_id, user_id)
        mark_stale(session, keys.sellers_of_user(user_id))

    async def of_users(
        self, session: AsyncSession, user_ids: Sequence[uuid.UUID]
    ) -> Sequence[Seller]:
        """The shops each user runs, for the GraphQL loaders."""
        return await seller_repository.ids_for_users(session, user_ids)


sellers = SellerService()
