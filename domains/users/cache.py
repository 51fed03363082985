"""Redis keys of the users domain, and what each write makes stale.

Entities live under `users:<kind>:<key>` (the kit's EntityCache adds REDIS_KEY_PREFIX)
for REDIS_TTL. Only what every viewer may see is cached: seller profiles, and an
account's public fields (`PublicUser`: name, roles, created_at). Emails, password
hashes, addresses and tokens are never written to Redis; they are read from Postgres,
after the viewer's access is checked.

What makes which keys stale (service.py records them with `mark_stale`; the mutation's
unit of work deletes them once the commit succeeded):

- an account's name changing, or a new account: `user`
- a shop opening: the profile under its id, its account and its slug (each may hold a
  remembered "no such shop"), and `user` (the account gains the SELLER role)
- a shop's name or description changing: the profile under its id, account and slug

Changes to passwords, email confirmation, tokens and addresses touch no cached column.
"""

from __future__ import annotations

import uuid

NAMESPACE = "users"


def user(user_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:user:{user_id}"


def seller_profile(profile_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:seller-profile:{profile_id}"


def seller_profile_of_user(user_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:seller-profile-of-user:{user_id}"


def seller_profile_slug(slug: str) -> str:
    return f"{NAMESPACE}:seller-profile-slug:{slug}"
