from __future__ import annotations

from typing import Annotated

import strawberry

from domains.kit.errors import InputErrors
from domains.payments.graphql.types import (
    Payment,
    PaymentError,
    PaymentsInfo,
    payment_errors,
    provider_of,
)
from domains.payments.service import parse_id, payments


@strawberry.type
class PaymentRefundPayload:
    payment: Payment | None = None
    errors: list[PaymentError] = strawberry.field(default_factory=list)


async def payment_refund(
    info: PaymentsInfo,
    payment_id: strawberry.ID,
    amount: Annotated[
        int | None,
        strawberry.argument(description="Minor units; omitted: all that is still captured."),
    ] = None,
) -> PaymentRefundPayload:
    try:
        async with info.context.transaction() as session:
            payment = await payments.refund(
                session,
                provider_of(info),
                info.context.viewer,
                parse_id(payment_id, "paymentId"),
                amount,
            )
    except InputErrors as error:
        return PaymentRefundPayload(errors=payment_errors(error))
    return PaymentRefundPayload(payment=Payment.from_model(payment))
