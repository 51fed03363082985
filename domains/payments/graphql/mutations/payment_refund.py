"""paymentRefund: staff gives money back, never more than was captured."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domains.payments.graphql.types import (
    PaymentPayload,
    PaymentsInfo,
    provider_of,
)
from domains.payments.services.refunds import refunds
from domains.payments.services.rules import parse_id


@strawberry.type
class PaymentRefundPayload(PaymentPayload):
    pass


async def payment_refund(
    info: PaymentsInfo,
    payment_id: strawberry.ID,
    amount: Annotated[
        int | None,
        strawberry.argument(description="Minor units; omitted: all that is still captured."),
    ] = None,
) -> PaymentRefundPayload:
    provider = provider_of(info)
    viewer = info.context.viewer
    return await PaymentRefundPayload.of_change(
        info,
        lambda session: refunds.refund(
            session, provider, viewer, parse_id(payment_id, "paymentId"), amount
        ),
    )
