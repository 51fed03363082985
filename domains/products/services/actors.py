"""Who is calling: a signed-in caller, the shops they run, and the products they may edit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Role, Viewer
from domains.kit.errors import InputErrors, PermissionDenied
from domains.products.models import Product
from domains.products.repositories.catalog import product_repository
from domains.products.repositories.sellers import seller_repository
from domains.products.services.validation import Code


@dataclass(frozen=True)
class Actor:
    """A signed-in caller and the shops they run."""

    user_id: uuid.UUID
    is_staff: bool
    seller_ids: frozenset[uuid.UUID]

    def may_edit(self, seller_id: uuid.UUID) -> bool:
        return self.is_staff or seller_id in self.seller_ids


async def actor_of(session: AsyncSession, viewer: Viewer) -> Actor:
    user_id = viewer.require_user()
    seller_ids: frozenset[uuid.UUID] = frozenset()
    if Role.SELLER in viewer.roles:
        # The token names the shop (`shop` claim); the local table covers older tokens.
        known = await seller_repository.ids_for_user(session, user_id)
        token_shop = {viewer.seller_profile_id} if viewer.seller_profile_id else set()
        seller_ids = frozenset({*known, *token_shop})
    return Actor(user_id=user_id, is_staff=viewer.is_staff, seller_ids=seller_ids)


async def catalog_editor(session: AsyncSession, viewer: Viewer) -> Actor:
    actor = await actor_of(session, viewer)
    if not actor.is_staff and Role.SELLER not in viewer.roles:
        raise PermissionDenied("Only sellers and staff can manage products.")
    return actor


def ensure_can_edit(actor: Actor, product: Product) -> None:
    if not actor.may_edit(product.seller_id):
        raise PermissionDenied("Only the product's seller or staff can change it.")


async def product_to_edit(
    session: AsyncSession, viewer: Viewer, product_id: uuid.UUID, *, field: str
) -> tuple[Actor, Product]:
    """The caller, and the product they may edit, locked FOR UPDATE until the unit of
    work ends; `field` names the input that gave the product's id."""
    actor = await catalog_editor(session, viewer)
    product = await product_repository.get_for_update(session, product_id)
    if product is None:
        raise InputErrors.single(field, Code.NOT_FOUND, "No such product.")
    ensure_can_edit(actor, product)
    return actor, product
