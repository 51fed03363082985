from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.payments.graphql.types import (
    Payment,
    PaymentError,
    PaymentSimulationOutcome,
    PaymentsInfo,
    payment_errors,
    provider_of,
)
from domains.payments.service import parse_id, payments


@strawberry.type
class PaymentSimulatePayload:
    payment: Payment | None = None
    errors: list[PaymentError] = strawberry.field(default_factory=list)


async def payment_simulate(
    info: PaymentsInfo, payment_id: strawberry.ID, outcome: PaymentSimulationOutcome
) -> PaymentSimulatePayload:
    try:
        async with info.context.transaction() as session:
            payment = await payments.simulate(
                session,
                provider_of(info),
                info.context.viewer,
                parse_id(payment_id, "paymentId"),
                succeed=outcome is PaymentSimulationOutcome.SUCCEED,
                production=info.context.resources.settings.is_production,
            )
    except InputErrors as error:
        return PaymentSimulatePayload(errors=payment_errors(error))
    return PaymentSimulatePayload(payment=Payment.from_model(payment))
