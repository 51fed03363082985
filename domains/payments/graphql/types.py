"""GraphQL types of the payments subgraph."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TypeAlias

import strawberry
from strawberry.types import Info

from domains.kit.errors import InputErrors, uuid_or_none
from domains.kit.graphql.context import RequestContext
from domains.kit.graphql.entities import EntityStub
from domains.kit.graphql.errors import payload_errors
from domains.kit.graphql.payloads import ChangePayload
from domains.payments import models
from domains.payments.config import PaymentsConfig
from domains.payments.errors import PaymentErrorCode
from domains.payments.graphql.loaders import PaymentLoaders
from domains.payments.models import PaymentStatus, TransactionType
from domains.payments.providers import PaymentProvider, provider_for
from domains.payments.services.rules import can_view

PaymentsInfo: TypeAlias = Info[RequestContext[PaymentLoaders], None]

strawberry.enum(
    PaymentErrorCode, name="PaymentErrorCode", description="Why a payments mutation refused."
)
strawberry.enum(
    PaymentStatus,
    name="PaymentStatus",
    description="REQUIRES_ACTION (waiting for the shopper) -> PROCESSING -> SUCCEEDED -> "
    "PARTIALLY_REFUNDED -> REFUNDED; FAILED when declined (the shopper may try again); "
    "CANCELLED.",
)
strawberry.enum(
    TransactionType,
    name="PaymentTransactionType",
    description="What was asked of the provider (REQUEST) and its answer (SUCCESS, FAILURE).",
)


@strawberry.enum(description="Who takes the money.")
class PaymentProviderName(Enum):
    LOCAL = "local"
    STRIPE = "stripe"


@strawberry.enum(description="What the simulated shopper does with a local payment.")
class PaymentSimulationOutcome(Enum):
    SUCCEED = "SUCCEED"
    FAIL = "FAIL"


@strawberry.type(description="A problem with a payments mutation's input.")
class PaymentError:
    field: str | None
    code: PaymentErrorCode
    message: str


def payment_errors(error: InputErrors) -> list[PaymentError]:
    return payload_errors(error, PaymentError, PaymentErrorCode)


@strawberry.type(
    description="One line of a payment's log: a request to the provider or its answer."
)
class PaymentTransaction:
    id: strawberry.ID
    type: TransactionType
    amount: int = strawberry.field(description="Minor units.")
    currency: str
    provider_reference: str | None = strawberry.field(
        description="The intent, charge, refund or event the line is about."
    )
    message: str
    created_at: datetime

    @classmethod
    def from_model(cls, row: models.PaymentTransaction) -> PaymentTransaction:
        return cls(
            id=strawberry.ID(str(row.id)),
            type=TransactionType(row.type),
            amount=row.amount,
            currency=row.currency,
            provider_reference=row.provider_reference,
            message=row.message,
            created_at=row.created_at,
        )


@strawberry.federation.type(keys=["id"], description="The money for an order.")
class Payment:
    id: strawberry.ID
    provider: PaymentProviderName
    provider_reference: str = strawberry.field(
        description="The PaymentIntent id (pi_...), or the local provider's imitation."
    )
    amount: int = strawberry.field(description="Minor units: what the order costs.")
    currency: str = strawberry.field(description="ISO 4217.")
    status: PaymentStatus
    captured_amount: int = strawberry.field(description="Minor units taken from the shopper.")
    refunded_amount: int = strawberry.field(description="Minor units given back so far.")
    flagged_reason: str | None = strawberry.field(
        description="Set when the provider reported another amount or currency: not paid "
        "until someone looks."
    )
    created_at: datetime
    updated_at: datetime
    order: Order
    _model: strawberry.Private[models.Payment]

    @classmethod
    def from_model(cls, model: models.Payment) -> Payment:
        return cls(
            id=strawberry.ID(str(model.id)),
            provider=PaymentProviderName(model.provider),
            provider_reference=model.provider_reference,
            amount=model.amount,
            currency=model.currency,
            status=PaymentStatus(model.status),
            captured_amount=model.captured_amount,
            refunded_amount=model.refunded_amount,
            flagged_reason=model.flagged_reason,
            created_at=model.created_at,
            updated_at=model.updated_at,
            order=Order(id=strawberry.ID(str(model.order_id))),
            _model=model,
        )

    @classmethod
    async def resolve_reference(cls, info: PaymentsInfo, id: strawberry.ID) -> Payment | None:
        return await load_visible_payment(info, id)

    @strawberry.field(
        description="For Stripe.js to confirm the payment: only the order's customer sees it."
    )
    def client_secret(self, info: PaymentsInfo) -> str | None:
        if info.context.viewer.user_id != self._model.customer_id:
            return None
        return self._model.client_secret

    @strawberry.field(description="The log, oldest first (Saleor's transaction events).")
    async def transactions(self, info: PaymentsInfo) -> list[PaymentTransaction]:
        rows = await info.context.loaders.transactions_by_payment_id.load(self._model.id)
        return [PaymentTransaction.from_model(row) for row in rows]


@strawberry.federation.type(keys=["id"])
class Order(EntityStub):
    async def _visible(self, info: PaymentsInfo) -> list[models.Payment]:
        viewer = info.context.viewer
        viewer.require_user()
        order_id = uuid_or_none(self.id)
        if order_id is None:
            return []
        rows = await info.context.loaders.payments_by_order_id.load(order_id)
        # Sellers see orders too, but not their customers' payments.
        return [row for row in rows if can_view(viewer, row)]

    @strawberry.field(description="The newest payment: the order's customer and staff.")
    async def payment(self, info: PaymentsInfo) -> Payment | None:
        rows = await self._visible(info)
        return Payment.from_model(rows[-1]) if rows else None

    @strawberry.field(description="Every payment of the order, oldest first.")
    async def payments(self, info: PaymentsInfo) -> list[Payment]:
        return [Payment.from_model(row) for row in await self._visible(info)]


@strawberry.type
class PaymentPayload(ChangePayload, node=Payment.from_model, errors=payment_errors):
    """What a mutation that changes one payment answers: the payment, or why not."""

    payment: Payment | None = None
    errors: list[PaymentError] = strawberry.field(default_factory=list)


async def load_visible_payment(info: PaymentsInfo, raw_id: str) -> Payment | None:
    # Signing in comes first, for every id alike; another customer's payment is then
    # null, as an unknown id is, so that ids cannot be confirmed by probing.
    viewer = info.context.viewer
    viewer.require_user()
    payment_id = uuid_or_none(raw_id)
    if payment_id is None:
        return None
    model = await info.context.loaders.payment_by_id.load(payment_id)
    if model is None or not can_view(viewer, model):
        return None
    return Payment.from_model(model)


def provider_of(info: PaymentsInfo) -> PaymentProvider:
    return provider_for(PaymentsConfig.from_settings(info.context.resources.settings))
