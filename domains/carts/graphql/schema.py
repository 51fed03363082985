"""The carts subgraph schema."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.mutations.cart_create import cart_create
from domains.carts.graphql.mutations.cart_lines_add import cart_lines_add
from domains.carts.graphql.mutations.cart_lines_remove import cart_lines_remove
from domains.carts.graphql.mutations.cart_lines_update import cart_lines_update
from domains.carts.graphql.mutations.cart_merge import cart_merge
from domains.carts.graphql.mutations.checkout_complete import checkout_complete
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


@strawberry.type(name="Query")
class RootQuery(Query, VoucherQuery):
    """The cart queries and the vouchers' listing."""


schema = FederatedSchema(
    query=RootQuery, mutation=Mutation, types=[Cart, ProductVariant, Order, User]
)
