"""One dataloader per relationship; public entities read through the Redis entity cache.

What other subgraphs reference (seller profiles, an account's public fields) is cached:
a batch is one MGET, and the keys it misses are one SQL statement whose rows are written
back with REDIS_TTL, so with a warm cache `_entities` runs no SQL at all. What belongs to
one account alone (the full account row with its email, addresses) is never cached:
those loaders go to Postgres, one statement per batch, and their callers check access
first. See domains/users/cache.py for the keys and what invalidates them.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from aiodataloader import DataLoader

from domains.kit.cache import EntityCache, ModelCodec, OptionalCodec
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


@dataclass
class UserLoaders:
    # The whole account row, private columns included: from Postgres, never cached.
    user_by_id: DataLoader[uuid.UUID, User | None]
    public_user_by_id: DataLoader[uuid.UUID, PublicUser | None]
    seller_profile_by_id: DataLoader[uuid.UUID, SellerProfile | None]
    seller_profile_by_user_id: DataLoader[uuid.UUID, SellerProfile | None]
    seller_profile_by_slug: DataLoader[str, SellerProfile | None]
    addresses_by_user_id: DataLoader[uuid.UUID, list[Address]]
    address_by_id: DataLoader[uuid.UUID, Address | None]


def make_loaders(resources: Resources) -> UserLoaders:
    factory = resources.read_session_factory
    cache = EntityCache.from_settings(resources.redis, resources.settings)

    cached = functools.partial(cached_loader, cache, factory)

    return UserLoaders(
        user_by_id=by_id_loader(resources, account.get_by_ids),
        public_user_by_id=cached(
            keys.user,
            OPTIONAL_PUBLIC_USER,
            fetch_one_per_key(account.get_public_by_ids, attrgetter("id")),
        ),
        seller_profile_by_id=cached(
            keys.seller_profile,
            OPTIONAL_SELLER_PROFILE,
            fetch_one_per_key(sellers.get_by_ids, attrgetter("id")),
        ),
        seller_profile_by_user_id=cached(
            keys.seller_profile_of_user,
            OPTIONAL_SELLER_PROFILE,
            fetch_one_per_key(sellers.get_by_user_ids, attrgetter("user_id")),
        ),
        seller_profile_by_slug=cached(
            keys.seller_profile_slug,
            OPTIONAL_SELLER_PROFILE,
            fetch_one_per_key(sellers.get_by_slugs, attrgetter("slug")),
        ),
        addresses_by_user_id=many_by_key_loader(
            resources, address_book.list_by_user_ids, lambda row: row.user_id
        ),
        address_by_id=by_id_loader(resources, address_book.get_by_ids),
    )
