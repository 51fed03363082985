"""paymentSimulate: the local provider's stand-in for the shopper, in development."""

from __future__ import annotations

import strawberry

from domains.payments.graphql.types import (
    PaymentPayload,
    PaymentSimulationOutcome,
    PaymentsInfo,
    provider_of,
)
from domains.payments.services.intents import intents
from domains.payments.services.rules import parse_id


@strawberry.type
class PaymentSimulatePayload(PaymentPayload):
    pass


async def payment_simulate(
    info: PaymentsInfo, payment_id: strawberry.ID, outcome: PaymentSimulationOutcome
) -> PaymentSimulatePayload:
    provider = provider_of(info)
    viewer = info.context.viewer
    production = info.context.resources.settings.is_production
    return await PaymentSimulatePayload.of_change(
        info,
        lambda session: intents.simulate(
            session,
            provider,
            viewer,
            parse_id(payment_id, "paymentId"),
            succeed=outcome is PaymentSimulationOutcome.SUCCEED,
            production=production,
        ),
    )
