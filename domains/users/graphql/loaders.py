"""One dataloader per relationship; each batch is one SQL statement."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiodataloader import DataLoader

from domains.kit.db import read_session
from domains.kit.graphql.loaders import loader, many_per_key, one_per_key
from domains.kit.resources import Resources
from domains.users.models import Address, SellerProfile, User
from domains.users.repository import address_repository, seller_profile_repository, user_repository


@dataclass
class UserLoaders:
    user_by_id: DataLoader[uuid.UUID, User | None]
    seller_profile_by_id: DataLoader[uuid.UUID, SellerProfile | None]
    seller_profile_by_user_id: DataLoader[uuid.UUID, SellerProfile | None]
    seller_profile_by_slug: DataLoader[str, SellerProfile | None]
    addresses_by_user_id: DataLoader[uuid.UUID, list[Address]]
    address_by_id: DataLoader[uuid.UUID, Address | None]


def make_loaders(resources: Resources) -> UserLoaders:
    factory = resources.read_session_factory

    async def users(ids: list[uuid.UUID]) -> list[User | None]:
        async with read_session(factory) as session:
            rows = await user_repository.get_by_ids(session, ids)
        return one_per_key(ids, rows, lambda row: row.id)

    async def profiles(ids: list[uuid.UUID]) -> list[SellerProfile | None]:
        async with read_session(factory) as session:
            rows = await seller_profile_repository.get_by_ids(session, ids)
        return one_per_key(ids, rows, lambda row: row.id)

    async def profiles_by_user(user_ids: list[uuid.UUID]) -> list[SellerProfile | None]:
        async with read_session(factory) as session:
            rows = await seller_profile_repository.get_by_user_ids(session, user_ids)
        return one_per_key(user_ids, rows, lambda row: row.user_id)

    async def profiles_by_slug(slugs: list[str]) -> list[SellerProfile | None]:
        async with read_session(factory) as session:
            rows = await seller_profile_repository.get_by_slugs(session, slugs)
        return one_per_key(slugs, rows, lambda row: row.slug)

    async def addresses(user_ids: list[uuid.UUID]) -> list[list[Address]]:
        async with read_session(factory) as session:
            rows = await address_repository.list_by_user_ids(session, user_ids)
        return many_per_key(user_ids, rows, lambda row: row.user_id)

    async def addresses_by_id(ids: list[uuid.UUID]) -> list[Address | None]:
        async with read_session(factory) as session:
            rows = await address_repository.get_by_ids(session, ids)
        return one_per_key(ids, rows, lambda row: row.id)

    return UserLoaders(
        user_by_id=loader(users),
        seller_profile_by_id=loader(profiles),
        seller_profile_by_user_id=loader(profiles_by_user),
        seller_profile_by_slug=loader(profiles_by_slug),
        addresses_by_user_id=loader(addresses),
        address_by_id=loader(addresses_by_id),
    )
