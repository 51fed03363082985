"""The users subgraph's queries: the signed-in account, an account, shops."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domains.kit.db import read_session
from domains.kit.graphql.pagination import build_connection
from domains.kit.pagination import page_size
from domains.users.graphql.types import SellerProfile, SellerProfileConnection, User, UsersInfo
from domains.users.services.accounts import account
from domains.users.services.inputs import parse_id
from domains.users.services.sellers import sellers


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in account, or null when signed out.")
    async def me(self, info: UsersInfo) -> User | None:
        viewer = info.context.viewer
        if viewer.user_id is None:
            return None
        model = await info.context.loaders.user_by_id.load(viewer.user_id)
        return None if model is None else User.from_model(model)

    @strawberry.field(description="An account by id: staff, or the account itself.")
    async def user(self, info: UsersInfo, id: strawberry.ID) -> User | None:
        user_id = parse_id(id)
        account.ensure_can_view(info.context.viewer, user_id)
        model = await info.context.loaders.user_by_id.load(user_id)
        return None if model is None else User.from_model(model)

    @strawberry.field(description="A seller's shop by its slug.")
    async def seller(self, info: UsersInfo, slug: str) -> SellerProfile | None:
        model = await info.context.loaders.seller_profile_by_slug.load(slug.strip().lower())
        return None if model is None else SellerProfile.from_model(model)

    @strawberry.field(description="All shops, newest first.")
    async def sellers(
        self,
        info: UsersInfo,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = 20,
        after: str | None = None,
    ) -> SellerProfileConnection:
        size = page_size(first)
        async with read_session(info.context.resources.read_session_factory) as session:
            rows, has_previous = await sellers.list_page(session, first=size, after=after)
            total = await sellers.count(session)
        return build_connection(
            rows,
            first=size,
            to_node=SellerProfile.from_model,
            cursor_of=sellers.cursor,
            has_previous_page=has_previous,
            total_count=total,
        )
