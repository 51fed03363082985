"""GraphQL types of promotions: the promotion itself (shown on the variants and products
it discounts, and to its managers) and a page of them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domains.kit.graphql.pagination import Edge, PageInfo
from domains.products import models
from domains.products.graphql.types import Category, Money, ProductsInfo, SellerProfile
from domains.products.models import PromotionKind
from domains.products.promotion_price import PromotionTerms

strawberry.enum(
    PromotionKind,
    name="PromotionKind",
    description="PERCENTAGE: a share of the list price off (basisPoints). FIXED: an amount "
    "off each unit (amountOff), for products priced in its currency.",
)


@strawberry.type(
    description="An automatic catalogue discount: a percentage or an amount off each unit of "
    "the products in its scope while it runs. Promotions do not stack: a variant sells at "
    "the best one for the shopper."
)
class Promotion:
    id: strawberry.ID
    name: str = strawberry.field(description="Shown to shoppers, e.g. 'Winter sale'.")
    kind: PromotionKind
    basis_points: int | None = strawberry.field(
        description="PERCENTAGE: basis points off the list price (2000 is 20 %); null for FIXED."
    )
    amount_off: Money | None = strawberry.field(
        description="FIXED: taken off each unit (never below zero); null for PERCENTAGE."
    )
    product_ids: list[strawberry.ID] = strawberry.field(
        description="Products it covers by name (besides those of `categories`)."
    )
    starts_at: datetime
    ends_at: datetime | None = strawberry.field(
        description="When it runs out; null: until promotionEnd."
    )
    ended_at: datetime | None = strawberry.field(
        description="When promotionEnd stopped it, if it did."
    )
    created_at: datetime
    updated_at: datetime
    _terms: strawberry.Private[PromotionTerms]

    @classmethod
    def from_terms(cls, terms: PromotionTerms) -> Promotion:
        is_fixed = terms.kind == PromotionKind.FIXED.value
        return cls(
            id=strawberry.ID(str(terms.id)),
            name=terms.name,
            kind=PromotionKind(terms.kind),
            basis_points=None if is_fixed else terms.value,
            amount_off=(
                Money(amount=terms.value, currency=terms.currency)
                if is_fixed and terms.currency is not None
                else None
            ),
            product_ids=[strawberry.ID(str(item)) for item in terms.product_ids],
            starts_at=terms.starts_at,
            ends_at=terms.ends_at,
            ended_at=terms.ended_at,
            created_at=terms.created_at,
            updated_at=terms.updated_at,
            _terms=terms,
        )

    @classmethod
    def from_model(cls, model: models.Promotion) -> Promotion:
        return cls.from_terms(PromotionTerms.of(model))

    @strawberry.field(description="Whose sale it is; null for the platform's own promotions.")
    def seller(self) -> SellerProfile | None:
        seller_id = self._terms.seller_id
        return None if seller_id is None else SellerProfile(id=strawberry.ID(str(seller_id)))

    @strawberry.field(
        description="Categories it covers, each with every category below it. With neither "
        "categories nor products, it covers every product (of its seller, for a seller's sale)."
    )
    async def categories(self, info: ProductsInfo) -> list[Category]:
        found = await info.context.loaders.category_by_id.load_many(list(self._terms.category_ids))
        return [Category.from_model(model) for model in found if model is not None]

    @strawberry.field(description="Whether it applies at this moment.")
    def active(self, info: ProductsInfo) -> bool:
        return self._terms.live_at(info.context.loaders.now)


@strawberry.type(description="A page of promotions, newest first.")
class PromotionConnection:
    edges: list[Edge[Promotion]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[Promotion]:
        return [edge.node for edge in self.edges]
