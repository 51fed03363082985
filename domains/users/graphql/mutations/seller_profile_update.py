"""The `sellerProfileUpdate` mutation: change a shop's profile."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domains.users.graphql.payloads import SellerProfilePayload
from domains.users.graphql.types import UsersInfo
from domains.users.services.inputs import parse_id
from domains.users.services.sellers import sellers


@strawberry.input(description="Fields left out are not changed.")
class SellerProfileUpdateInput:
    shop_name: str | None = None
    description: str | None = None


@strawberry.type
class SellerProfileUpdatePayload(SellerProfilePayload):
    pass


async def seller_profile_update(
    info: UsersInfo,
    input: SellerProfileUpdateInput,
    id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Staff may name any profile; sellers edit their own."),
    ] = None,
) -> SellerProfileUpdatePayload:
    viewer = info.context.viewer
    return await SellerProfileUpdatePayload.of_change(
        info,
        lambda session: sellers.update_profile(
            session,
            viewer,
            profile_id=None if id is None else parse_id(id),
            shop_name=input.shop_name,
            description=input.description,
        ),
    )
