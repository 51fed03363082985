"""Payloads of the products mutations, one per object they change (product, image,
variant, review, promotion): built on the kit's ChangePayload, each holds that object once the
change committed, or the refused input as `errors`, nothing committed."""

from __future__ import annotations

import strawberry

from domains.kit.graphql.payloads import ChangePayload
from domains.products.graphql.promotion_types import Promotion
from domains.products.graphql.types import (
    Product,
    ProductError,
    ProductImage,
    ProductVariant,
    Review,
    product_errors,
)


@strawberry.type
class ProductPayload(ChangePayload, node=Product.from_model, errors=product_errors):
    product: Product | None = None
    errors: list[ProductError] = strawberry.field(default_factory=list)


@strawberry.type
class ProductImagePayload(ChangePayload, node=ProductImage.from_model, errors=product_errors):
    image: ProductImage | None = None
    errors: list[ProductError] = strawberry.field(default_factory=list)


@strawberry.type
class VariantPayload(ChangePayload, node=ProductVariant.from_model, errors=product_errors):
    variant: ProductVariant | None = None
    errors: list[ProductError] = strawberry.field(default_factory=list)


@strawberry.type
class ReviewPayload(ChangePayload, node=Review.from_model, errors=product_errors):
    review: Review | None = None
    errors: list[ProductError] = strawberry.field(default_factory=list)


@strawberry.type
class PromotionPayload(ChangePayload, node=Promotion.from_model, errors=product_errors):
    promotion: Promotion | None = None
    errors: list[ProductError] = strawberry.field(default_factory=list)
