"""promotionEnd: stop a promotion now (or cancel one not started yet)."""

from __future__ import annotations

import strawberry

from domains.products.graphql.payloads import PromotionPayload
from domains.products.graphql.types import ProductsInfo
from domains.products.services.promotions import promotions
from domains.products.services.validation import parse_id


@strawberry.type
class PromotionEndPayload(PromotionPayload):
    pass


async def promotion_end(info: ProductsInfo, id: strawberry.ID) -> PromotionEndPayload:
    return await PromotionEndPayload.of_change(
        info, lambda session: promotions.end(session, info.context.viewer, parse_id(id))
    )
