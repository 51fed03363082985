"""A provider that imitates the PaymentIntent flow without leaving the machine.

The shopper's side (paying, or being declined) is played by the development-only
`paymentSimulate` mutation; everything after that is the same code as for Stripe.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from domains.payments.providers.base import IntentSnapshot, RefundResult


def _stable_id(prefix: str, key: str) -> str:
    # The same idempotency key names the same intent, as it does at Stripe.
    return f"{prefix}_local_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class LocalProvider:
    name = "local"

    async def create_intent(
        self, *, amount: int, currency: str, order_id: uuid.UUID, idempotency_key: str
    ) -> IntentSnapshot:
        reference = _stable_id("pi", idempotency_key)
        return IntentSnapshot(
            reference=reference,
            status="requires_payment_method",
            amount=amount,
            amount_received=0,
            currency=currency.lower(),
            client_secret=f"{reference}_secret_{secrets.token_hex(12)}",
        )

    async def retrieve_intent(self, reference: str) -> IntentSnapshot | None:
        return None

    async def cancel_intent(self, reference: str, *, idempotency_key: str) -> IntentSnapshot:
        return IntentSnapshot(
            reference=reference, status="canceled", amount=0, amount_received=0, currency=""
        )

    async def refund(self, reference: str, *, amount: int, idempotency_key: str) -> RefundResult:
        return RefundResult(
            reference=_stable_id("re", idempotency_key), status="succeeded", amount=amount
        )
