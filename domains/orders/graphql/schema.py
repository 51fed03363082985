"""The orders subgraph schema."""

from __future__ import annotations

import strawberry

from domains.kit.graphql.errors import FederatedSchema
from domains.orders.graphql.mutations.order_cancel import order_cancel
from domains.orders.graphql.mutations.order_fulfill import order_fulfill
from domains.orders.graphql.mutations.order_mark_delivered import order_mark_delivered
from domains.orders.graphql.queries import Query
from domains.orders.graphql.subscriptions import Subscription
from domains.orders.graphql.types import Order, ProductVariant, SellerProfile, User


@strawberry.type
class Mutation:
    order_cancel = strawberry.mutation(
        resolver=order_cancel,
        description="Cancel an order: its customer before fulfilment, staff before "
        "delivery. Its stock goes back.",
    )
    order_fulfill = strawberry.mutation(
        resolver=order_fulfill,
        description="A seller ships their lines of a PAID order; the order is FULFILLED "
        "when every line is.",
    )
    order_mark_delivered = strawberry.mutation(
        resolver=order_mark_delivered, description="Staff: a FULFILLED order arrived."
    )


schema = FederatedSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Order, User, SellerProfile, ProductVariant],
)
