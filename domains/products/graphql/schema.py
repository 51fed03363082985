"""The products subgraph schema."""

from __future__ import annotations

import strawberry

from domains.kit.graphql.errors import FederatedSchema
from domains.products.graphql.mutations.inventory_adjust import inventory_adjust
from domains.products.graphql.mutations.product_archive import product_archive
from domains.products.graphql.mutations.product_create import product_create
from domains.products.graphql.mutations.product_image_add import product_image_add
from domains.products.graphql.mutations.product_image_remove import product_image_remove
from domains.products.graphql.mutations.product_update import product_update
from domains.products.graphql.mutations.promotion_create import promotion_create
from domains.products.graphql.mutations.promotion_end import promotion_end
from domains.products.graphql.mutations.promotion_update import promotion_update
from domains.products.graphql.mutations.review_create import review_create
from domains.products.graphql.mutations.review_delete import review_delete
from domains.products.graphql.mutations.variant_create import variant_create
from domains.products.graphql.mutations.variant_update import variant_update
from domains.products.graphql.queries import Query
from domains.products.graphql.types import (
    Category,
    Product,
    ProductVariant,
    Review,
    SellerProfile,
    User,
)


@strawberry.type
class Mutation:
    product_create = strawberry.mutation(
        resolver=product_create,
        description="Create a product as a DRAFT. Sellers create for their own shop; staff "
        "for any.",
    )
    product_update = strawberry.mutation(
        resolver=product_update, description="Edit a product: its seller or staff."
    )
    product_archive = strawberry.mutation(
        resolver=product_archive,
        description="Stop selling a product; it leaves listings but stays reachable by id.",
    )
    variant_create = strawberry.mutation(
        resolver=variant_create, description="Add a variant (SKU, price, options) to a product."
    )
    variant_update = strawberry.mutation(resolver=variant_update, description="Edit a variant.")
    inventory_adjust = strawberry.mutation(
        resolver=inventory_adjust,
        description="Change a variant's stock on hand, with a reason for the audit trail.",
    )
    product_image_add = strawberry.mutation(
        resolver=product_image_add, description="Attach an uploaded image to a product."
    )
    product_image_remove = strawberry.mutation(
        resolver=product_image_remove, description="Remove an image from its product."
    )
    review_create = strawberry.mutation(
        resolver=review_create,
        description="Review a product (signed-in customers, once per product); the "
        "product's rating is updated in the same transaction.",
    )
    review_delete = strawberry.mutation(
        resolver=review_delete, description="Delete a review: its author or staff."
    )
    promotion_create = strawberry.mutation(
        resolver=promotion_create,
        description="Start (or schedule) a promotion. Staff: on any categories, products or "
        "seller, or platform-wide; sellers: on their own products only.",
    )
    promotion_update = strawberry.mutation(
        resolver=promotion_update,
        description="Change a promotion that has not ended: staff, or the seller whose sale "
        "it is. Prices follow at once.",
    )
    promotion_end = strawberry.mutation(
        resolver=promotion_end,
        description="Stop a promotion now (one not started yet never will): staff, or the "
        "seller whose sale it is.",
    )


schema = FederatedSchema(
    query=Query,
    mutation=Mutation,
    types=[Product, ProductVariant, Category, Review, SellerProfile, User],
)
