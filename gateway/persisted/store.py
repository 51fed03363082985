"""Automatic persisted queries (Apollo's protocol), kept in Redis.

A client first sends only `extensions.persistedQuery.sha256Hash`; on a miss it resends
with the document, which the gateway stores under the hash once it has checked that the
hash matches and the document validates. Redis is shared by every gateway replica, so a
document registered through one is found by the others. If Redis is down the store
answers "not found" and drops writes: clients fall back to sending the document, which
still works (fail open, logged).
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger("shopgraph.gateway")


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class DocumentStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, document: str) -> None: ...


class RedisDocumentStore:
    def __init__(self, redis: Redis, prefix: str, ttl_seconds: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}gw:apq:"
        self._ttl = ttl_seconds

    async def get(self, sha256: str) -> str | None:
        try:
            value = await self._redis.get(self._prefix + sha256)
        except (RedisError, OSError) as error:
            logger.warning("persisted query lookup failed, treated as a miss: %s", error)
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else value

    async def put(self, sha256: str, document: str) -> None:
        try:
            await self._redis.set(self._prefix + sha256, document, ex=self._ttl)
        except (RedisError, OSError) as error:
            logger.warning("persisted query not stored: %s", error)


class MemoryDocumentStore:
    """For a gateway without Redis (tests, a single local process): bounded, LRU."""

    def __init__(self, size: int = 10_000) -> None:
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._size = size

    async def get(self, sha256: str) -> str | None:
        document = self._documents.get(sha256)
        if document is not None:
            self._documents.move_to_end(sha256)
        return document

    async def put(self, sha256: str, document: str) -> None:
        self._documents[sha256] = document
        if len(self._documents) > self._size:
            self._documents.popitem(last=False)
