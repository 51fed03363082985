"""Where the public keys that verify access tokens come from.

In one process the platform hands the users subgraph's key set over directly
(`StaticKeySet`). In front of remote subgraphs the gateway reads the users subgraph's
`/.well-known/jwks.json` (`RemoteKeySet`): cached for `max_age`, and fetched again early
when a token names a key id it has not seen (the issuer rotated its key), at most once
per `min_refresh_interval` so a stream of made-up key ids cannot turn into a stream of
fetches. A failed fetch keeps the keys already known.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol

import httpx
import jwt

logger = logging.getLogger("shopgraph.gateway")


class KeySet(Protocol):
    async def key(self, key_id: str | None) -> Any | None:
        """The public key for a token's `kid` (None: the only key, if there is one)."""
        ...


def _parse(jwks: Mapping[str, Any]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for entry in jwks.get("keys", []):
        if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        jwk = jwt.PyJWK.from_dict(dict(entry), algorithm="RS256")
        keys[str(entry.get("kid", ""))] = jwk.key
    return keys


def _pick(keys: Mapping[str, Any], key_id: str | None) -> Any | None:
    if key_id is None:
        return next(iter(keys.values())) if len(keys) == 1 else None
    return keys.get(key_id)


class StaticKeySet:
    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = _parse(jwks)

    async def key(self, key_id: str | None) -> Any | None:
        return _pick(self._keys, key_id)


class RemoteKeySet:
    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        *,
        max_age: float = 300.0,
        min_refresh_interval: float = 30.0,
    ) -> None:
        self._url = url
        self._client = client
        self._max_age = max_age
        self._min_refresh_interval = min_refresh_interval
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, key_id: str | None) -> Any | None:
        now = time.monotonic()
        stale = self._fetched_at is None or now - self._fetched_at > self._max_age
        unknown = _pick(self._keys, key_id) is None
        may_refresh = self._fetched_at is None or (
            now - self._fetched_at > self._min_refresh_interval
        )
        if stale or (unknown and may_refresh):
            await self._refresh(now)
        return _pick(self._keys, key_id)

    async def _refresh(self, requested_at: float) -> None:
        async with self._lock:
            if self._fetched_at is not None and self._fetched_at >= requested_at:
                return  # another request refreshed while this one waited
            try:
                response = await self._client.get(self._url, timeout=5.0)
                response.raise_for_status()
                self._keys = _parse(response.json())
            except (httpx.HTTPError, ValueError, jwt.PyJWKError) as error:
                logger.warning(
                    "JWKS %s could not be read, keeping known keys: %s", self._url, error
                )
            self._fetched_at = time.monotonic()
