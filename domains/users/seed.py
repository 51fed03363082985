"""Deterministic demo accounts: staff, customers and sellers with shops and addresses.

Every row has a uuid5 id, and inserts skip rows that exist, so seeding twice changes
nothing and other domains can derive the same seller ids (`seed_id("seller", n)`).
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.seeding import DEMO_PASSWORD, SeedOptions, seed_id
from domains.users.models import Address, SellerProfile, User
from domains.users.passwords import hash_password

_FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
_LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]
_SHOP_WORDS = ["Atelier", "Works", "Supply", "Goods", "Studio", "Market", "Outfitters", "Co"]
_NOUNS = ["Copper", "Linen", "Oak", "Harbor", "Meadow", "Granite", "Juniper", "Saffron", "Tide"]
_CITIES = [
    ("Berlin", "DE", "10115"),
    ("Lyon", "FR", "69001"),
    ("Austin", "US", "73301"),
    ("Leeds", "GB", "LS1 1AA"),
    ("Porto", "PT", "4000-001"),
    ("Utrecht", "NL", "3511"),
]


async def seed(session: AsyncSession, options: SeedOptions) -> dict[str, int]:
    rng = random.Random(options.random_seed)
    # One hash for every demo account: argon2 is deliberately slow, and the demo accounts
    # share a password anyway.
    password_hash = await hash_password(DEMO_PASSWORD)
    users: list[dict[str, Any]] = [
        _user("staff", "staff@shopgraph.dev", "Sam Staff", ["CUSTOMER", "STAFF"], password_hash),
        _user("customer", "customer@shopgraph.dev", "Casey Customer", ["CUSTOMER"], password_hash),
    ]
    for n in range(options.customers):
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        users.append(
            _user(f"customer-{n}", f"customer{n}@shopgraph.dev", name, ["CUSTOMER"], password_hash)
        )
    profiles: list[dict[str, Any]] = []
    for n in range(options.sellers):
        user_key = f"seller-user-{n}"
        users.append(
            _user(
                user_key,
                f"seller{n}@shopgraph.dev",
                f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                ["CUSTOMER", "SELLER"],
                password_hash,
            )
        )
        shop = f"{rng.choice(_NOUNS)} {rng.choice(_SHOP_WORDS)}"
        profiles.append(
            {
                "id": seed_id("seller", n),
                "user_id": seed_id("user", user_key),
                "shop_name": shop,
                "slug": f"{shop.lower().replace(' ', '-')}-{n}",
                "description": f"{shop}: small-batch goods, shipped from our workshop.",
            }
        )
    addresses = []
    for row in users:
        city, country, postal = rng.choice(_CITIES)
        first, last = row["name"].split(" ", 1)
        addresses.append(
            {
                "id": seed_id("address", str(row["id"])),
                "user_id": row["id"],
                "first_name": first,
                "last_name": last,
                "street_address_1": f"{rng.randint(1, 200)} {rng.choice(_NOUNS)} Street",
                "city": city,
                "postal_code": postal,
                "country_code": country,
                "is_default_shipping": True,
                "is_default_billing": True,
            }
        )
    inserted_users = await _insert(session, User, users)
    inserted_profiles = await _insert(session, SellerProfile, profiles)
    inserted_addresses = await _insert(session, Address, addresses)
    return {
        "users": inserted_users,
        "seller profiles": inserted_profiles,
        "addresses": inserted_addresses,
    }


def _user(key: str, email: str, name: str, roles: list[str], password_hash: str) -> dict[str, Any]:
    return {
        "id": seed_id("user", key),
        "email": email,
        "name": name,
        "roles": roles,
        "password_hash": password_hash,
        "is_email_confirmed": True,
    }


async def _insert(session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]) -> int:
    inserted = 0
    for start in range(0, len(rows), 1000):
        result = await session.execute(
            insert(model)
            .values(rows[start : start + 1000])
            .on_conflict_do_nothing()
            .returning(model.id)
        )
        inserted += len(result.all())
    return inserted
