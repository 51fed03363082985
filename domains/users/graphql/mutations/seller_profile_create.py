"""The `sellerProfileCreate` mutation: open a shop."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import SellerProfile, UserError, UsersInfo, user_errors
from domains.users.services.sellers import sellers


@strawberry.input
class SellerProfileCreateInput:
    shop_name: str
    slug: str | None = strawberry.field(
        default=None, description="Derived from shopName when left out."
    )
    description: str | None = None


@strawberry.type(
    description=(
        "The account gains the SELLER role; call tokenRefresh for an access token carrying it."
    )
)
class SellerProfileCreatePayload:
    seller_profile: SellerProfile | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def seller_profile_create(
    info: UsersInfo, input: SellerProfileCreateInput
) -> SellerProfileCreatePayload:
    try:
        async with unit_of_work(info) as session:
            profile = await sellers.create_profile(
                session,
                info.context.viewer,
                shop_name=input.shop_name,
                slug=input.slug,
                description=input.description,
            )
    except InputErrors as error:
        return SellerProfileCreatePayload(errors=user_errors(error))
    return SellerProfileCreatePayload(seller_profile=SellerProfile.from_model(profile))
