"""promotionCreate: staff's platform promotions and sellers' sales on their own products."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domains.products.graphql.mutations.promotion_inputs import PromotionDiscountInput, ids
from domains.products.graphql.payloads import PromotionPayload
from domains.products.graphql.types import ProductsInfo
from domains.products.services.promotions import PromotionFields, promotions


@strawberry.input(
    description="A new promotion. With neither categoryIds nor productIds it covers every "
    "product (every product of its seller, for a seller's sale)."
)
class PromotionCreateInput:
    name: str = strawberry.field(description="Shown to shoppers; 1 to 100 characters.")
    discount: PromotionDiscountInput
    category_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Each category and every category below it."
    )
    product_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Products covered by name; a seller may name only their own."
    )
    seller_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Whose sale: a seller's own shop (the default for a seller running one "
        "shop); staff may name any seller, or leave it out for a platform promotion.",
    )
    starts_at: datetime | None = strawberry.field(
        default=None, description="With a time zone offset; default now."
    )
    ends_at: datetime | None = strawberry.field(
        default=None, description="After startsAt and in the future; null: until promotionEnd."
    )


@strawberry.type
class PromotionCreatePayload(PromotionPayload):
    pass


async def promotion_create(
    info: ProductsInfo, input: PromotionCreateInput
) -> PromotionCreatePayload:
    basis_points, amount_off = input.discount.parts()
    fields = PromotionFields(
        name=input.name,
        basis_points=basis_points,
        amount_off=amount_off,
        category_ids=ids(input.category_ids),
        product_ids=ids(input.product_ids),
        seller_id=None if input.seller_id is None else str(input.seller_id),
        starts_at=input.starts_at,
        ends_at=input.ends_at,
    )
    return await PromotionCreatePayload.of_change(
        info, lambda session: promotions.create(session, info.context.viewer, fields)
    )
