"""The provider interface, in PaymentIntent terms (Stripe's vocabulary, lower case)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol


class ProviderError(Exception):
    """The provider refused or could not be reached; the message is safe to show."""


@dataclass(frozen=True)
class IntentSnapshot:
    reference: str
    # requires_payment_method, requires_confirmation, requires_action, processing,
    # requires_capture, canceled or succeeded.
    status: str
    amount: int
    amount_received: int
    currency: str
    client_secret: str | None = None
    # The last attempt's failure, when the shopper's payment method was declined.
    last_error: str | None = None


@dataclass(frozen=True)
class RefundResult:
    reference: str
    # succeeded, pending, requires_action, failed or canceled.
    status: str
    amount: int


class PaymentProvider(Protocol):
    name: str

    async def create_intent(
        self, *, amount: int, currency: str, order_id: uuid.UUID, idempotency_key: str
    ) -> IntentSnapshot: ...

    async def retrieve_intent(self, reference: str) -> IntentSnapshot | None:
        """The intent as the provider knows it; None when only we know it (local)."""
        ...

    async def cancel_intent(self, reference: str, *, idempotency_key: str) -> IntentSnapshot: ...

    async def refund(
        self, reference: str, *, amount: int, idempotency_key: str
    ) -> RefundResult: ...
