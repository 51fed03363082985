"""Sellers of the users domain: the shop profile an account opens to sell, its slug,
and the list of shops."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Role, Viewer
from domains.kit.cache import mark_stale
from domains.kit.errors import InputErrors, PermissionDenied, clean_slug, quoted
from domains.kit.events import savepoint
from domains.kit.pagination import InvalidPaginationArgument, decode_cursor, encode_cursor
from domains.users import cache as cache_keys
from domains.users.errors import UserErrorCode
from domains.users.models import SellerProfile
from domains.users.repositories.sellers import seller_profile_repository
from domains.users.services.accounts import account
from domains.users.services.inputs import clean_text

Code = UserErrorCode


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:50].strip("-")


_clean_slug = partial(
    clean_slug, what="A shop slug", shortest=3, longest=50, invalid=Code.INVALID_SLUG
)


def _profile_keys(profile: SellerProfile) -> list[str]:
    """Every key a profile is cached under."""
    return [
        cache_keys.seller_profile(profile.id),
        cache_keys.seller_profile_of_user(profile.user_id),
        cache_keys.seller_profile_slug(profile.slug),
    ]


class SellerService:
    async def create_profile(
        self,
        session: AsyncSession,
        viewer: Viewer,
        *,
        shop_name: str,
        slug: str | None,
        description: str | None,
    ) -> SellerProfile:
        user = await account.get_for_update(session, viewer.require_user())
        if await seller_profile_repository.get_by_user_id_for_update(session, user.id) is not None:
            raise InputErrors.single(
                None, Code.ALREADY_SELLER, "You already have a seller profile."
            )
        name = clean_text(shop_name, "shopName", max_length=100)
        if slug is None and not slugify(name):
            raise InputErrors.single(
                "slug",
                Code.REQUIRED,
                f"No slug can be made from the shop name {name!r}: choose one "
                "(3 to 50 lowercase letters, digits and hyphens).",
            )
        clean_slug = _clean_slug(slug if slug is not None else slugify(name))
        if await seller_profile_repository.slug_exists(session, clean_slug):
            raise InputErrors.single(
                "slug", Code.DUPLICATE_SLUG, f"The shop slug {clean_slug!r} is taken."
            )
        profile = SellerProfile(
            user_id=user.id,
            shop_name=name,
            slug=clean_slug,
            description=clean_text(
                description or "", "description", max_length=5000, required=False
            ),
        )
        try:
            async with savepoint(session):
                await seller_profile_repository.add(session, profile)
        except IntegrityError:
            raise InputErrors.single(
                "slug", Code.DUPLICATE_SLUG, f"The shop slug {clean_slug!r} is taken."
            ) from None
        if Role.SELLER.value not in user.roles:
            user.roles = [*user.roles, Role.SELLER.value]
        mark_stale(session, *_profile_keys(profile), cache_keys.user(user.id))
        await session.flush()
        return profile

    async def update_profile(
        self,
        session: AsyncSession,
        viewer: Viewer,
        *,
        profile_id: uuid.UUID | None,
        shop_name: str | None,
        description: str | None,
    ) -> SellerProfile:
        user_id = viewer.require_user()
        if profile_id is None:
            profile = await seller_profile_repository.get_by_user_id_for_update(session, user_id)
            if profile is None:
                raise InputErrors.single(None, Code.NOT_A_SELLER, "You have no seller profile.")
        else:
            profile = await seller_profile_repository.get_for_update(session, profile_id)
            if profile is None:
                raise InputErrors.single("id", Code.NOT_FOUND, "No such seller profile.")
            if profile.user_id != user_id and not viewer.is_staff:
                raise PermissionDenied("Only the seller or staff can edit this profile.")
        if shop_name is not None:
            profile.shop_name = clean_text(shop_name, "shopName", max_length=100)
        if description is not None:
            profile.description = clean_text(
                description, "description", max_length=5000, required=False
            )
        mark_stale(session, *_profile_keys(profile))
        await session.flush()
        return profile

    async def list_page(
        self, session: AsyncSession, *, first: int, after: str | None
    ) -> tuple[Sequence[SellerProfile], bool]:
        """One page plus one extra row (to tell if there is a next page)."""
        key: tuple[datetime, uuid.UUID] | None = None
        if after is not None:
            created_at, profile_id = decode_cursor("SellerProfile", after, arity=2)
            try:
                key = (datetime.fromisoformat(created_at), uuid.UUID(str(profile_id)))
            except (TypeError, ValueError):
                raise InvalidPaginationArgument(
                    f"The cursor {quoted(after)} is malformed."
                ) from None
        rows = await seller_profile_repository.list_page(session, limit=first + 1, after=key)
        return rows, after is not None

    def cursor(self, profile: SellerProfile) -> str:
        return encode_cursor("SellerProfile", [profile.created_at.isoformat(), str(profile.id)])

    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[SellerProfile]:
        return await seller_profile_repository.get_by_ids(session, ids)

    async def get_by_user_ids(
        self, session: AsyncSession, user_ids: Sequence[uuid.UUID]
    ) -> Sequence[SellerProfile]:
        return await seller_profile_repository.get_by_user_ids(session, user_ids)

    async def get_by_slugs(
        self, session: AsyncSession, slugs: Sequence[str]
    ) -> Sequence[SellerProfile]:
        return await seller_profile_repository.get_by_slugs(session, slugs)

    async def count(self, session: AsyncSession) -> int:
        return await seller_profile_repository.count(session)


sellers = SellerService()
