"""promotionUpdate: change a promotion that has not ended."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domains.products.graphql.mutations.promotion_inputs import PromotionDiscountInput, ids
from domains.products.graphql.payloads import PromotionPayload
from domains.products.graphql.types import ProductsInfo
from domains.products.services.promotions import PromotionFields, promotions
from domains.products.services.validation import UNCHANGED, parse_id


@strawberry.input(description="Fields left out are not changed; lists replace the old ones.")
class PromotionUpdateInput:
    name: str | None = None
    discount: PromotionDiscountInput | None = None
    category_ids: list[strawberry.ID] | None = None
    product_ids: list[strawberry.ID] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="null: until promotionEnd."
    )


@strawberry.type
class PromotionUpdatePayload(PromotionPayload):
    pass


async def promotion_update(
    info: ProductsInfo, id: strawberry.ID, input: PromotionUpdateInput
) -> PromotionUpdatePayload:
    basis_points, amount_off = (None, None) if input.discount is None else input.discount.parts()
    fields = PromotionFields(
        name=input.name,
        basis_points=basis_points,
        amount_off=amount_off,
        discount_given=input.discount is not None,
        category_ids=ids(input.category_ids),
        product_ids=ids(input.product_ids),
        starts_at=input.starts_at,
        ends_at=UNCHANGED if input.ends_at is strawberry.UNSET else input.ends_at,
    )
    return await PromotionUpdatePayload.of_change(
        info,
        lambda session: promotions.update(session, info.context.viewer, parse_id(id), fields),
    )
