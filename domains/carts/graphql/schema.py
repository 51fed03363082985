"""The carts subgraph schema."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.mutations.cart_create import cart_create
from domains.carts.graphql.mutations.cart_lines_add import cart_lines_add
from domains.carts.graphql.mutations.cart_lines_remove import cart_lines_remove
from domains.carts.graphql.mutations.cart_lines_update import cart_lines_update
from domains.carts.graphql.mutations.cart_merge import cart_merge
from domains.carts.graphql.mutations.checkout_complete import checkout_complete
from domains.carts.graphql.pricing import admin_mutations as pricing_admin
from domains.carts.graphql.pricing.queries import PricingQuery
from domains.carts.graphql.queries import Query
from domains.carts.graphql.types import Cart, Order, ProductVariant, User
from domains.carts.graphql.vouchers.cart_voucher_apply import cart_voucher_apply
from domains.carts.graphql.vouchers.cart_voucher_remove import cart_voucher_remove
from domains.carts.graphql.vouchers.queries import VoucherQuery
from domains.carts.graphql.vouchers.voucher_create import voucher_create
from domains.carts.graphql.vouchers.voucher_end import voucher_end
from domains.carts.graphql.vouchers.voucher_update import voucher_update
from domains.kit.graphql.errors import FederatedSchema


@strawberry.type
class Mutation:
    cart_create = strawberry.mutation(
        resolver=cart_create,
        description="Signed in: your open cart (created on first use). Signed out: a new "
        "guest cart, whose id is its only key; keep it secret.",
    )
    cart_lines_add = strawberry.mutation(
        resolver=cart_lines_add,
        description="Add variants; adding one already in the cart adds to its quantity.",
    )
    cart_lines_update = strawberry.mutation(
        resolver=cart_lines_update, description="Set the quantity of lines."
    )
    cart_lines_remove = strawberry.mutation(
        resolver=cart_lines_remove, description="Remove lines from the cart."
    )
    cart_merge = strawberry.mutation(
        resolver=cart_merge,
        description="After signing in: fold a guest cart into your cart. Quantities of the "
        "same variant are summed, capped by the stock last known and by 999.",
    )
    checkout_complete = strawberry.mutation(
        resolver=checkout_complete,
        description="Turn your cart into an order. Waits a few seconds for stock to be "
        "reserved and answers the order AWAITING_PAYMENT, or errors (INSUFFICIENT_STOCK, "
        "PRICE_CHANGED, EMPTY_CART); past the wait, the order PENDING to poll. The same "
        "idempotencyKey always answers the same order.",
    )

    cart_voucher_apply = strawberry.mutation(
        resolver=cart_voucher_apply,
        description="Apply a voucher code to an open cart, after those applied already; "
        "refused with the cause (VOUCHER_UNKNOWN, VOUCHER_EXPIRED, VOUCHER_MINIMUM_NOT_MET...).",
    )
    cart_voucher_remove = strawberry.mutation(
        resolver=cart_voucher_remove, description="Take a voucher code off an open cart."
    )
    voucher_create = strawberry.mutation(
        resolver=voucher_create,
        description="Staff: a platform voucher of any scope (or a seller's). A seller: a "
        "voucher on their own lines.",
    )
    voucher_update = strawberry.mutation(
        resolver=voucher_update,
        description="Change a voucher's terms (staff: any; a seller: their own).",
    )
    voucher_end = strawberry.mutation(
        resolver=voucher_end,
        description="End a voucher now: carts holding it can no longer check out with it.",
    )
    shipping_zone_create = strawberry.mutation(
        resolver=pricing_admin.shipping_zone_create,
        description="A seller: a zone for their own methods. Staff: a platform zone.",
    )
    shipping_zone_update = strawberry.mutation(
        resolver=pricing_admin.shipping_zone_update,
        description="Rename a zone or replace its countries.",
    )
    shipping_zone_delete = strawberry.mutation(
        resolver=pricing_admin.shipping_zone_delete,
        description="Delete a zone no active method has a rate in (IN_USE otherwise).",
    )
    shipping_method_create = strawberry.mutation(
        resolver=pricing_admin.shipping_method_create,
        description="A seller: a method for their own parcels, with a rate per zone of "
        "theirs. Staff: a platform method, offered to sellers with none of their own.",
    )
    shipping_method_update = strawberry.mutation(
        resolver=pricing_admin.shipping_method_update,
        description="Change a method's name, estimate, free-above threshold, currency or rates.",
    )
    shipping_method_end = strawberry.mutation(
        resolver=pricing_admin.shipping_method_end,
        description="Stop offering a method now; orders keep naming it.",
    )
    tax_country_set = strawberry.mutation(
        resolver=pricing_admin.tax_country_set,
        description="Staff: how a country taxes (inclusive or exclusive prices, shipping "
        "taxed or not, standard rate).",
    )
    tax_rule_create = strawberry.mutation(
        resolver=pricing_admin.tax_rule_create,
        description="Staff: a rate for a region, a category, or both, of a country.",
    )
    tax_rule_update = strawberry.mutation(
        resolver=pricing_admin.tax_rule_update, description="Staff: a rule's rate or name."
    )
    tax_rule_delete = strawberry.mutation(
        resolver=pricing_admin.tax_rule_delete, description="Staff: delete a tax rule."
    )


@strawberry.type(name="Query")
class RootQuery(Query, VoucherQuery, PricingQuery):
    """The cart queries, the vouchers' listing, and shipping and tax administration."""


schema = FederatedSchema(
    query=RootQuery, mutation=Mutation, types=[Cart, ProductVariant, Order, User]
)
