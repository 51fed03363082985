"""The write boundary of a users mutation: commit, then evict what changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.cache import EntityCache
from domains.users.graphql.types import UsersInfo


@asynccontextmanager
async def unit_of_work(info: UsersInfo) -> AsyncIterator[AsyncSession]:
    """A mutation's transaction; the cache keys it made stale are deleted after the commit.

    Deleting after the commit (not before) means no reader can refill the cache with the
    old row once the delete ran. A rolled-back mutation deletes nothing: nothing changed.
    """
    resources = info.context.resources
    async with info.context.transaction() as session:
        yield session
    await EntityCache.from_settings(resources.redis, resources.settings).invalidate_stale(session)
