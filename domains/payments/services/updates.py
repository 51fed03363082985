"""The provider's word about an intent, whatever channel brought it: a Stripe webhook
event or a re-read intent, turned into one IntentUpdate."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domains.payments.providers import IntentSnapshot


class Outcome(StrEnum):
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    REFUNDED = "refunded"
    REFUND_UPDATED = "refund_updated"


@dataclass(frozen=True)
class IntentUpdate:
    """What the provider says happened to an intent, whatever channel said it."""

    outcome: Outcome
    reference: str
    # For SUCCEEDED: what was received; for REFUNDED: the total refunded so far.
    amount: int = 0
    currency: str = ""
    message: str = ""
    # The provider object the news is about (event, charge), for the log.
    source: str | None = None
    # For REFUND_UPDATED: the refund (re_...) and its status at the provider.
    refund: str | None = None
    refund_status: str = ""


HANDLED_WEBHOOKS = {
    "payment_intent.processing": Outcome.PROCESSING,
    "payment_intent.succeeded": Outcome.SUCCEEDED,
    "payment_intent.payment_failed": Outcome.FAILED,
    "payment_intent.canceled": Outcome.CANCELED,
    "charge.refunded": Outcome.REFUNDED,
    # A refund's later news: `refund.failed` (and `refund.updated`) on current API
    # versions, `charge.refund.updated` on older ones; each carries the Refund object.
    "refund.failed": Outcome.REFUND_UPDATED,
    "refund.updated": Outcome.REFUND_UPDATED,
    "charge.refund.updated": Outcome.REFUND_UPDATED,
}


def intent_reference(event_type: str, obj: dict[str, Any]) -> str | None:
    """The PaymentIntent a Stripe event is about."""
    if event_type.startswith("payment_intent."):
        return str(obj.get("id")) if obj.get("id") else None
    intent = obj.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    return str(intent) if intent else None


def update_from_stripe_event(event: dict[str, Any]) -> IntentUpdate | None:
    outcome = HANDLED_WEBHOOKS.get(str(event.get("type")))
    obj: dict[str, Any] = event.get("data", {}).get("object", {})
    reference = intent_reference(str(event.get("type")), obj)
    if outcome is None or reference is None:
        return None
    if outcome is Outcome.REFUND_UPDATED:
        return IntentUpdate(
            outcome,
            reference,
            amount=int(obj.get("amount") or 0),
            currency=str(obj.get("currency") or "").upper(),
            message=str(obj.get("failure_reason") or ""),
            source=str(obj.get("id") or "") or None,
            refund=str(obj.get("id") or "") or None,
            refund_status=str(obj.get("status") or ""),
        )
    if outcome is Outcome.REFUNDED:
        return IntentUpdate(
            outcome,
            reference,
            amount=int(obj.get("amount_refunded") or 0),
            currency=str(obj.get("currency") or "").upper(),
            source=str(obj.get("id") or event.get("id")),
        )
    error = obj.get("last_payment_error") or {}
    return IntentUpdate(
        outcome,
        reference,
        amount=int(obj.get("amount_received") or 0),
        currency=str(obj.get("currency") or "").upper(),
        message=str(error.get("message") or "") if outcome is Outcome.FAILED else "",
        source=str(obj.get("latest_charge") or event.get("id") or "") or None,
    )


def update_from_snapshot(snapshot: IntentSnapshot) -> IntentUpdate | None:
    """What a re-read intent tells us, for reconciliation."""
    currency = snapshot.currency.upper()
    if snapshot.status == "succeeded":
        return IntentUpdate(
            Outcome.SUCCEEDED, snapshot.reference, snapshot.amount_received, currency
        )
    if snapshot.status == "canceled":
        return IntentUpdate(Outcome.CANCELED, snapshot.reference)
    if snapshot.status == "processing":
        return IntentUpdate(Outcome.PROCESSING, snapshot.reference)
    if snapshot.status == "requires_payment_method" and snapshot.last_error:
        return IntentUpdate(Outcome.FAILED, snapshot.reference, message=snapshot.last_error)
    return None
