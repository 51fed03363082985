"""The `sellerProfileUpdate` mutation: change a shop's profile."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import SellerProfile, UserError, UsersInfo, user_errors
from domains.users.services.inputs import parse_id
from domains.users.services.sellers import sellers


@strawberry.input(description="Fields left out are not changed.")
class SellerProfileUpdateInput:
    shop_name: str | None = None
    description: str | None = None


@strawberry.type
class SellerProfileUpdatePayload:
    seller_profile: SellerProfile | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def seller_profile_update(
    info: UsersInfo,
    input: SellerProfileUpdateInput,
    id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Staff may name any profile; sellers edit their own."),
    ] = None,
) -> SellerProfileUpdatePayload:
    try:
        async with unit_of_work(info) as session:
            profile = await sellers.update_profile(
                session,
                info.context.viewer,
                profile_id=None if id is None else parse_id(id),
                shop_name=input.shop_name,
                description=input.description,
            )
    except InputErrors as error:
        return SellerProfileUpdatePayload(errors=user_errors(error))
    return SellerProfileUpdatePayload(seller_profile=SellerProfile.from_model(profile))
