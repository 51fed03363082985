"""The write boundary of a mutation: commit, then evict what changed from the cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domains.kit.cache import EntityCache
from domains.kit.graphql.context import RequestContext


@asynccontextmanager
async def unit_of_work(info: Info[RequestContext[Any], Any]) -> AsyncIterator[AsyncSession]:
    """A mutation's transaction; the cache keys it made stale are deleted after the commit.

    Deleting after the commit (not before) means no reader can refill the cache with the
    old row once the delete ran. A rolled-back mutation deletes nothing: nothing changed.
    """
    resources = info.context.resources
    async with info.context.transaction() as session:
        yield session
    await EntityCache.from_settings(resources.redis, resources.settings).invalidate_stale(session)
