"""The payments subgraph schema."""

from __future__ import annotations

import strawberry

from domains.kit.graphql.errors import FederatedSchema
from domains.payments.graphql.mutations.payment_refund import payment_refund
from domains.payments.graphql.mutations.payment_simulate import payment_simulate
from domains.payments.graphql.queries import Query
from domains.payments.graphql.subscriptions import Subscription
from domains.payments.graphql.types import Order, Payment


@strawberry.type
class Mutation:
    payment_refund = strawberry.mutation(
        resolver=payment_refund,
        description="Staff: give back all or part of a captured payment, never more than "
        "was captured in total.",
    )
    payment_simulate = strawberry.mutation(
        resolver=payment_simulate,
        description="Development only (refused in production): play the shopper paying, or "
        "being declined, for a payment of the local provider.",
    )


schema = FederatedSchema(
    query=Query, mutation=Mutation, subscription=Subscription, types=[Payment, Order]
)
