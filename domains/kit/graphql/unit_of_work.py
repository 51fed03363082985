"""The write boundary of a mutation: commit, then evict what changed from the cache."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domains.kit.cache import EntityCache
from domains.kit.errors import InputErrors
from domains.kit.graphql.context import RequestContext

ResultT = TypeVar("ResultT")


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


async def mutate(
    info: Info[RequestContext[Any], Any],
    change: Callable[[AsyncSession], Awaitable[ResultT]],
) -> ResultT | InputErrors:
    """Run `change` in a unit of work: its result once committed, or the InputErrors it
    raised (nothing committed), for the mutation to answer as payload errors."""
    try:
        async with unit_of_work(info) as session:
            return await change(session)
    except InputErrors as error:
        return error
