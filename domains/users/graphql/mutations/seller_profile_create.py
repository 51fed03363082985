"""The `sellerProfileCreate` mutation: open a shop."""

from __future__ import annotations

import strawberry

from domains.users.graphql.payloads import SellerProfilePayload
from domains.users.graphql.types import UsersInfo
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
class SellerProfileCreatePayload(SellerProfilePayload):
    pass


async def seller_profile_create(
    info: UsersInfo, input: SellerProfileCreateInput
) -> SellerProfileCreatePayload:
    viewer = info.context.viewer
    return await SellerProfileCreatePayload.of_change(
        info,
        lambda session: sellers.create_profile(
            session,
            viewer,
            shop_name=input.shop_name,
            slug=input.slug,
            description=input.description,
        ),
    )
