"""One dataloader per relationship; public entities read through the Redis entity cache.

What other subgraphs reference (seller profiles, an account's public fields) is cached:
a batch is one MGET, and the keys it misses are one SQL statement whose rows are written
back with REDIS_TTL, so with a warm cache `_entities` runs no SQL at all. What belongs to
one account alone (the full account row with its email, addresses) is never cached:
those loaders go to Postgres, one statement per batch, and their callers check access
first. See domains/users/cache.py for the keys and what invalidates them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine, Hashable
from datetime import datetime
from functools import cached_property
from operator import attrgetter
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.cache import Codec, EntityCache, ModelCodec, OptionalCodec
from domains.kit.graphql.loaders import (
    by_id_loader,
    cached_loader,
    fetch_one_per_key,
    many_by_key_loader,
)
from domains.kit.resources import Resources
from domains.users import cache as keys
from domains.users.models import Address, SellerProfile, User
from domains.users.services.accounts import PublicUser, account
from domains.users.services.addresses import addresses as address_book
from domains.users.services.sellers import sellers

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")


class _PublicUserCodec:
    def dump(self, value: PublicUser) -> dict[str, Any]:
        return {
            "id": value.id,
            "name": value.name,
            "roles": list(value.roles),
            "created_at": value.created_at,
        }

    def load(self, data: Any) -> PublicUser:
        return PublicUser(
            id=uuid.UUID(data["id"]),
            name=data["name"],
            roles=tuple(data["roles"]),
            created_at=datetime.fromisoformat(data["created_at"]),
        )


# Built once: a codec's layout is computed per model, not per request.
OPTIONAL_PUBLIC_USER = OptionalCodec(_PublicUserCodec())
OPTIONAL_SELLER_PROFILE = OptionalCodec(ModelCodec(SellerProfile))


class UserLoaders:
    """The users subgraph's loaders for one request, each built on its first use: an
    `_entities` fetch of seller profiles builds one of seven."""

    def __init__(self, resources: Resources) -> None:
        self._resources = resources
        self._cache = EntityCache.from_settings(resources.redis, resources.settings)

    def _cached(
        self,
        cache_key: Callable[[KeyT], str],
        codec: Codec[ValueT],
        fetch: Callable[[AsyncSession, list[KeyT]], Coroutine[Any, Any, list[ValueT]]],
    ) -> DataLoader[KeyT, ValueT]:
        return cached_loader(
            self._cache, self._resources.read_session_factory, cache_key, codec, fetch
        )

    @cached_property
    def user_by_id(self) -> DataLoader[uuid.UUID, User | None]:
        """The whole account row, private columns included: from Postgres, never cached."""
        return by_id_loader(self._resources, account.get_by_ids)

    @cached_property
    def public_user_by_id(self) -> DataLoader[uuid.UUID, PublicUser | None]:
        return self._cached(
            keys.user,
            OPTIONAL_PUBLIC_USER,
            fetch_one_per_key(account.get_public_by_ids, attrgetter("id")),
        )

    @cached_property
    def seller_profile_by_id(self) -> DataLoader[uuid.UUID, SellerProfile | None]:
        return self._cached(
            keys.seller_profile,
            OPTIONAL_SELLER_PROFILE,
            fetch_one_per_key(sellers.get_by_ids, attrgetter("id")),
        )

    @cached_property
    def seller_profile_by_user_id(self) -> DataLoader[uuid.UUID, SellerProfile | None]:
        return self._cached(
            keys.seller_profile_of_user,
            OPTIONAL_SELLER_PROFILE,
            fetch_one_per_key(sellers.get_by_user_ids, attrgetter("user_id")),
        )

    @cached_property
    def seller_profile_by_slug(self) -> DataLoader[str, SellerProfile | None]:
        return self._cached(
            keys.seller_profile_slug,
            OPTIONAL_SELLER_PROFILE,
            fetch_one_per_key(sellers.get_by_slugs, attrgetter("slug")),
        )

    @cached_property
    def addresses_by_user_id(self) -> DataLoader[uuid.UUID, list[Address]]:
        return many_by_key_loader(
            self._resources, address_book.list_by_user_ids, lambda row: row.user_id
        )

    @cached_property
    def address_by_id(self) -> DataLoader[uuid.UUID, Address | None]:
        return by_id_loader(self._resources, address_book.get_by_ids)


def make_loaders(resources: Resources) -> UserLoaders:
    return UserLoaders(resources)
