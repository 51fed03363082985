"""Creating, listing and revoking partner keys; recognising a key on a request.

Services take the session and never commit (the CLI command is the unit of work).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.partners import repository
from gateway.partners.models import Partner

KEY_PREFIX = "sgp_"
# A 256-bit random key: guessing one is hopeless, so a fast hash (SHA-256) is enough to
# store it; a slow password hash would only slow every partner request down.
KEY_BYTES = 32
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


class PartnerError(ValueError):
    """Bad input to a partner command; the message says what was wrong."""


@dataclass(frozen=True)
class PartnerIdentity:
    """The partner behind a request's API key."""

    id: uuid.UUID
    name: str
    manifest: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def create(
    session: AsyncSession, name: str, manifest: str, *, known_manifests: Collection[str]
) -> tuple[Partner, str]:
    """A new partner and its key; the key is returned once and stored only as a hash."""
    if not _NAME.match(name):
        raise PartnerError(
            f"partner name {name!r}: use lower-case letters, digits, '-' and '_' (at most 100)"
        )
    if manifest not in known_manifests:
        known = ", ".join(sorted(known_manifests)) or "none"
        raise PartnerError(
            f"no manifest {manifest!r} in schema/operations (known: {known}); "
            "create it with `shopgraph operations register FILE --manifest NAME`"
        )
    if await repository.get_by_name(session, name) is not None:
        raise PartnerError(f"a partner named {name!r} already exists")
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
    partner = await repository.add(
        session,
        Partner(
            id=uuid.uuid4(),
            name=name,
            manifest=manifest,
            key_hash=hash_key(key),
            key_prefix=key[:12],
        ),
    )
    return partner, key


async def list_partners(session: AsyncSession) -> list[Partner]:
    return await repository.list_all(session)


async def revoke(session: AsyncSession, name: str) -> Partner:
    partner = await repository.get_by_name(session, name)
    if partner is None:
        raise PartnerError(f"no partner named {name!r}")
    if not await repository.revoke(session, partner.id):
        raise PartnerError(f"partner {name!r} is already revoked")
    return partner


class PartnerKeys:
    """Recognises API keys on requests, remembering answers for a few seconds.

    Without the memory every partner request would cost a query; with it, a revoked key
    keeps working for at most `ttl_seconds`. Unknown keys are remembered too, so a client
    hammering with a bad key does not hammer Postgres.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl_seconds: float = 5.0,
        size: int = 10_000,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl_seconds
        self._size = size
        self._known: OrderedDict[str, tuple[float, PartnerIdentity | None]] = OrderedDict()

    async def identify(self, key: str) -> PartnerIdentity | None:
        key_hash = hash_key(key)
        now = time.monotonic()
        cached = self._known.get(key_hash)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        async with self._sessions() as session:
            partner = await repository.get_active_by_key_hash(session, key_hash)
        identity = PartnerIdentity(partner.id, partner.name, partner.manifest) if partner else None
        self._known[key_hash] = (now, identity)
        self._known.move_to_end(key_hash)
        if len(self._known) > self._size:
            self._known.popitem(last=False)
        return identity
