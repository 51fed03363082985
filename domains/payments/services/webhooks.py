"""Stripe's webhook events: recorded once per event id, applied to their payment, or
parked until the payment's row exists."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.payments.models import WebhookStatus
from domains.payments.providers import PaymentProvider
from domains.payments.repository import payment_repository, webhook_repository
from domains.payments.services.intents import intents
from domains.payments.services.updates import intent_reference, update_from_stripe_event


class WebhookService:
    async def handle_stripe_event(
        self, session: AsyncSession, provider: PaymentProvider, event: dict[str, Any]
    ) -> WebhookStatus | None:
        """A verified Stripe event, once per event id; None for a redelivery."""
        event_type = str(event.get("type", ""))
        obj = event.get("data", {}).get("object", {})
        reference = intent_reference(event_type, obj) if isinstance(obj, dict) else None
        recorded = await webhook_repository.record(
            session,
            event_id=str(event["id"]),
            provider="stripe",
            type_=event_type,
            reference=reference,
            payload=event,
        )
        if not recorded:
            return None
        update = update_from_stripe_event(event)
        if update is None:
            return WebhookStatus.IGNORED
        await payment_repository.lock_reference(session, update.reference)
        payment = await payment_repository.get_by_reference_for_update(session, update.reference)
        if payment is None:
            # Before its row was committed, or not ours at all: parked, and applied if a
            # payment for this intent is ever written.
            await webhook_repository.set_status(session, str(event["id"]), WebhookStatus.PENDING)
            return WebhookStatus.PENDING
        await intents.apply(session, provider, payment, update)
        await webhook_repository.set_status(session, str(event["id"]), WebhookStatus.APPLIED)
        return WebhookStatus.APPLIED


webhooks = WebhookService()
