"""Stripe through its own library: PaymentIntents, cancellation and the Refund API.

Every call that creates something carries an idempotency key, so the client's retries
(and ours, when an event is redelivered) never charge or refund twice.
"""

from __future__ import annotations

import uuid
from typing import Any

import stripe

from domains.kit.stripe_http import StripeHTTPXClient
from domains.payments.providers.base import IntentSnapshot, ProviderError, RefundResult


def snapshot_of(resource: Any) -> IntentSnapshot:
    """A PaymentIntent (from the API or inside a webhook event) as the interface's type."""
    intent: dict[str, Any] = resource.to_dict() if hasattr(resource, "to_dict") else resource
    error = intent.get("last_payment_error") or None
    return IntentSnapshot(
        reference=str(intent["id"]),
        status=str(intent["status"]),
        amount=int(intent.get("amount") or 0),
        amount_received=int(intent.get("amount_received") or 0),
        currency=str(intent.get("currency") or ""),
        client_secret=intent.get("client_secret"),
        last_error=None if error is None else str(error.get("message") or "declined"),
    )


class StripeProvider:
    name = "stripe"

    def __init__(self, api_key: str, *, api_base: str | None = None) -> None:
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=StripeHTTPXClient(),
            max_network_retries=2,
        )

    async def create_intent(
        self, *, amount: int, currency: str, order_id: uuid.UUID, idempotency_key: str
    ) -> IntentSnapshot:
        try:
            intent = await self._client.v1.payment_intents.create_async(
                {
                    "amount": amount,
                    "currency": currency.lower(),
                    "metadata": {"order_id": str(order_id)},
                    "automatic_payment_methods": {"enabled": True},
                },
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise ProviderError(_message(error)) from error
        return snapshot_of(intent)

    async def retrieve_intent(self, reference: str) -> IntentSnapshot | None:
        try:
            intent = await self._client.v1.payment_intents.retrieve_async(reference)
        except stripe.StripeError as error:
            raise ProviderError(_message(error)) from error
        return snapshot_of(intent)

    async def cancel_intent(self, reference: str, *, idempotency_key: str) -> IntentSnapshot:
        try:
            intent = await self._client.v1.payment_intents.cancel_async(
                reference, None, {"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise ProviderError(_message(error)) from error
        return snapshot_of(intent)

    async def refund(self, reference: str, *, amount: int, idempotency_key: str) -> RefundResult:
        try:
            refund = await self._client.v1.refunds.create_async(
                {"payment_intent": reference, "amount": amount},
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise ProviderError(_message(error)) from error
        return RefundResult(
            reference=str(refund["id"]), status=str(refund["status"]), amount=int(refund["amount"])
        )


def _message(error: stripe.StripeError) -> str:
    return f"Stripe: {error.user_message or error.__class__.__name__}"
