"""Business rules of the payments domain. Methods take the session first and never commit.

A payment follows its PaymentIntent:

    REQUIRES_ACTION -> PROCESSING -> SUCCEEDED -> PARTIALLY_REFUNDED -> REFUNDED
    REQUIRES_ACTION | PROCESSING | FAILED -> FAILED (declined; the shopper may retry)
    REQUIRES_ACTION | PROCESSING | FAILED -> CANCELLED
    PARTIALLY_REFUNDED | REFUNDED -> SUCCEEDED | PARTIALLY_REFUNDED (a refund failed later)

What moves it is the provider's word (a verified webhook, a re-read during
reconciliation, or the local provider's simulation), never a client's claim. Anything
that arrives late or twice finds the payment past that point and changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Viewer
from domains.kit.errors import InputErrors, PermissionDenied, quoted
from domains.payments import events
from domains.payments.errors import PaymentErrorCode
from domains.payments.models import (
    Payment,
    PaymentStatus,
    PaymentTransaction,
    Refund,
    RefundStatus,
    TransactionType,
    WebhookStatus,
)
from domains.payments.providers import IntentSnapshot, PaymentProvider, ProviderError
from domains.payments.repository import (
    payment_repository,
    refund_repository,
    transaction_repository,
    webhook_repository,
)

logger = logging.getLogger("shopgraph.payments")

Code = PaymentErrorCode
S = PaymentStatus
T = TransactionType

OPEN = frozenset({S.REQUIRES_ACTION, S.PROCESSING, S.FAILED})
REFUNDABLE = frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED})


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

# Refund statuses after which the money did not go back.
REFUND_NOT_MADE = {"failed": RefundStatus.FAILED, "canceled": RefundStatus.CANCELED}


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InputErrors.single(
            field, Code.INVALID, f"{quoted(value)} is not a valid ID."
        ) from None


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


def can_view(viewer: Viewer, payment: Payment) -> bool:
    return viewer.is_staff or viewer.user_id == payment.customer_id


class PaymentService:
    # ----------------------------------------------------------------- the log

    async def _log(
        self,
        session: AsyncSession,
        payment: Payment,
        type_: TransactionType,
        amount: int,
        *,
        reference: str | None = None,
        message: str = "",
    ) -> None:
        await transaction_repository.add(
            session,
            PaymentTransaction(
                payment_id=payment.id,
                type=type_.value,
                amount=amount,
                currency=payment.currency,
                provider_reference=reference,
                message=message[:500],
            ),
        )

    # ----------------------------------------------------------------- opening

    async def open_for_order(
        self,
        session: AsyncSession,
        provider: PaymentProvider,
        event: events.OrderStatusChanged,
    ) -> Payment | None:
        """The order awaits payment: create its PaymentIntent, once per order and amount."""
        if event.currency is None or event.total <= 0:
            logger.warning("order %s awaits payment with nothing to pay", event.order_id)
            return None
        currency = event.currency.upper()
        key = f"order-{event.order_id}-{event.total}-{currency}"
        # The provider is asked inside this unit of work: if it rolls back, the retry
        # sends the same idempotency key and gets the same intent back.
        snapshot = await provider.create_intent(
            amount=event.total, currency=currency, order_id=event.order_id, idempotency_key=key
        )
        payment_id = uuid.uuid4()
        await payment_repository.lock_reference(session, snapshot.reference)
        created = await payment_repository.insert_unless_exists(
            session,
            {
                "id": payment_id,
                "order_id": event.order_id,
                "customer_id": event.customer_id,
                "provider": provider.name,
                "provider_reference": snapshot.reference,
                "idempotency_key": key,
                "client_secret": snapshot.client_secret,
                "amount": event.total,
                "currency": currency,
                "status": S.REQUIRES_ACTION.value,
            },
        )
        if not created:
            return None
        payment = await payment_repository.get_for_update(session, payment_id)
        assert payment is not None
        await self._log(
            session, payment, T.AUTHORIZATION_REQUEST, payment.amount, reference=snapshot.reference
        )
        # Webhooks that came before this row did wait on the lock above, or were parked.
        for early in await webhook_repository.pending_for(session, snapshot.reference):
            update = update_from_stripe_event(early.payload)
            if update is not None:
                await self.apply(session, provider, payment, update)
            await webhook_repository.set_status(session, early.id, WebhookStatus.APPLIED)
        return payment

    # ----------------------------------------------------------------- the provider's word

    async def apply(
        self,
        session: AsyncSession,
        provider: PaymentProvider,
        payment: Payment,
        update: IntentUpdate,
    ) -> bool:
        """Apply what the provider reports to a locked payment; whether anything changed."""
        status = S(payment.status)
        if update.outcome is Outcome.PROCESSING:
            if status not in (S.REQUIRES_ACTION, S.FAILED):
                return False
            payment.status = S.PROCESSING.value
            await self._log(
                session, payment, T.CHARGE_REQUEST, payment.amount, reference=update.source
            )
            return True
        if update.outcome is Outcome.SUCCEEDED:
            return await self._succeeded(session, provider, payment, update)
        if update.outcome is Outcome.FAILED:
            if status not in OPEN:
                return False
            payment.status = S.FAILED.value
            reason = update.message or "The payment was declined."
            await self._log(
                session,
                payment,
                T.CHARGE_FAILURE,
                payment.amount,
                reference=update.source,
                message=reason,
            )
            await events.publish(
                session, events.PaymentFailed(payment.id, payment.order_id, reason)
            )
            return True
        if update.outcome is Outcome.CANCELED:
            if status not in OPEN:
                return False
            payment.status = S.CANCELLED.value
            await self._log(
                session, payment, T.CANCEL_SUCCESS, payment.amount, reference=update.reference
            )
            return True
        if update.outcome is Outcome.REFUND_UPDATED:
            return await self._refund_updated(session, payment, update)
        return await self._refunded_elsewhere(session, payment, update)

    async def _succeeded(
        self,
        session: AsyncSession,
        provider: PaymentProvider,
        payment: Payment,
        update: IntentUpdate,
    ) -> bool:
        if S(payment.status) not in OPEN:
            return False  # a replay, or news older than what we know
        if update.amount != payment.amount or update.currency != payment.currency:
            reason = (
                f"AMOUNT_MISMATCH: the provider reported {update.amount} {update.currency}; "
                f"the payment is for {payment.amount} {payment.currency}"
            )
            if payment.flagged_reason != reason:
                payment.flagged_reason = reason
                await self._log(
                    session,
                    payment,
                    T.CHARGE_FAILURE,
                    update.amount,
                    reference=update.source,
                    message=reason,
                )
            logger.error("payment %s flagged: %s", payment.id, reason)
            return True
        payment.status = S.SUCCEEDED.value
        payment.captured_amount = payment.amount
        payment.flagged_reason = None
        await self._log(session, payment, T.CHARGE_SUCCESS, payment.amount, reference=update.source)
        await events.publish(
            session,
            events.PaymentSucceeded(
                payment_id=payment.id,
                order_id=payment.order_id,
                provider=payment.provider,
                amount=payment.amount,
                currency=payment.currency,
            ),
        )
        if payment.order_cancelled:
            # The shopper paid after the order was cancelled: the money goes back.
            await self._refund(session, provider, payment, payment.amount, note="order cancelled")
        return True

    async def _refunded_elsewhere(
        self, session: AsyncSession, payment: Payment, update: IntentUpdate
    ) -> bool:
        """`charge.refunded` carries the charge's refunded total: refunds made through us
        are counted already; anything beyond (the Stripe Dashboard) is recorded here."""
        if S(payment.status) not in REFUNDABLE:
            return False
        extra = min(update.amount, payment.captured_amount) - payment.refunded_amount
        if extra <= 0:
            return False
        await self._record_refund(
            session, payment, extra, reference=update.source, note="refunded at the provider"
        )
        return True

    async def _refund_updated(
        self, session: AsyncSession, payment: Payment, update: IntentUpdate
    ) -> bool:
        """A refund's status changed at the provider. Failed or canceled: the money did
        not go back, so it stops counting against what can be refunded (staff may try
        again) and the order hears of it; a replay finds the refund settled already."""
        if update.refund is None:
            return False
        refund = await refund_repository.get_by_reference_for_update(session, update.refund)
        if refund is None or refund.payment_id != payment.id:
            # Not asked through us (the Dashboard): charge.refunded is what we count.
            logger.warning(
                "refund %s of payment %s is %s; it was not made through us",
                update.refund,
                payment.id,
                update.refund_status,
            )
            return False
        status = RefundStatus(refund.status)
        if status in (RefundStatus.FAILED, RefundStatus.CANCELED):
            return False
        settled = REFUND_NOT_MADE.get(update.refund_status)
        if settled is None:
            if update.refund_status == "succeeded" and status is RefundStatus.PENDING:
                refund.status = RefundStatus.SUCCEEDED.value
                return True
            return False
        reason = update.message or update.refund_status
        refund.status = settled.value
        refund.failure_reason = reason[:255]
        payment.refunded_amount -= refund.amount
        payment.status = (
            S.PARTIALLY_REFUNDED.value if payment.refunded_amount > 0 else S.SUCCEEDED.value
        )
        await self._log(
            session,
            payment,
            T.REFUND_FAILURE,
            refund.amount,
            reference=refund.provider_reference,
            message=f"the provider's refund {update.refund_status}: {reason}",
        )
        logger.error(
            "refund %s of payment %s %s at the provider: %s",
            refund.provider_reference,
            payment.id,
            update.refund_status,
            reason,
        )
        await events.publish(
            session,
            events.PaymentRefundFailed(
                payment_id=payment.id,
                order_id=payment.order_id,
                amount=refund.amount,
                refunded_total=payment.refunded_amount,
                captured_amount=payment.captured_amount,
                currency=payment.currency,
                reason=reason,
            ),
        )
        return True

    # ----------------------------------------------------------------- webhooks

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
        await self.apply(session, provider, payment, update)
        await webhook_repository.set_status(session, str(event["id"]), WebhookStatus.APPLIED)
        return WebhookStatus.APPLIED

    # ----------------------------------------------------------------- refunds

    async def refund(
        self,
        session: AsyncSession,
        provider: PaymentProvider,
        viewer: Viewer,
        payment_id: uuid.UUID,
        amount: int | None,
    ) -> Payment:
        """Staff: give back `amount` (all that is left when None), never more than captured."""
        viewer.require_user()
        if not viewer.is_staff:
            raise PermissionDenied("Only staff refund payments.")
        payment = await payment_repository.get_for_update(session, payment_id)
        if payment is None:
            raise InputErrors.single("paymentId", Code.NOT_FOUND, "No such payment.")
        if S(payment.status) not in REFUNDABLE:
            raise InputErrors.single(
                "paymentId",
                Code.NOT_REFUNDABLE,
                f"Only a captured payment can be refunded (this one is {payment.status}).",
            )
        remaining = payment.captured_amount - payment.refunded_amount
        if amount is None:
            amount = remaining
        if amount <= 0:
            raise InputErrors.single(
                "amount", Code.INVALID, f"A refund is a positive amount (got {amount})."
            )
        if amount > remaining:
            raise InputErrors.single(
                "amount",
                Code.AMOUNT_TOO_LARGE,
                f"At most {remaining} {payment.currency} can still be refunded "
                f"(captured {payment.captured_amount}, refunded {payment.refunded_amount}).",
            )
        try:
            await self._refund(session, provider, payment, amount, note="")
        except ProviderError as error:
            raise InputErrors.single("paymentId", Code.PROVIDER_ERROR, str(error)) from None
        return await self._settled(session, payment)

    async def _settled(self, session: AsyncSession, payment: Payment) -> Payment:
        # updated_at is set by the database: read it back before the session closes.
        await session.flush()
        await session.refresh(payment)
        return payment

    async def _refund(
        self,
        session: AsyncSession,
        provider: PaymentProvider,
        payment: Payment,
        amount: int,
        *,
        note: str,
    ) -> None:
        # Numbered by how many refunds this payment asked for: a unit of work retried
        # after a rollback asks the provider with the same key and gets the same refund.
        number = await transaction_repository.count_of_type(
            session, payment.id, T.REFUND_REQUEST.value
        )
        key = f"refund-{payment.id}-{number + 1}-{amount}"
        await self._log(session, payment, T.REFUND_REQUEST, amount, message=note)
        result = await provider.refund(
            payment.provider_reference, amount=amount, idempotency_key=key
        )
        if result.status in ("failed", "canceled"):
            raise ProviderError(f"The provider refused the refund ({result.status}).")
        # A pending refund counts against what is left at once, so that a second refund
        # cannot overdraw the capture while the first settles; if it fails later,
        # `_refund_updated` takes it back out.
        await refund_repository.add(
            session,
            Refund(
                payment_id=payment.id,
                provider_reference=result.reference,
                amount=amount,
                currency=payment.currency,
                status=(
                    RefundStatus.SUCCEEDED.value
                    if result.status == "succeeded"
                    else RefundStatus.PENDING.value
                ),
            ),
        )
        await self._record_refund(session, payment, amount, reference=result.reference, note=note)

    async def _record_refund(
        self,
        session: AsyncSession,
        payment: Payment,
        amount: int,
        *,
        reference: str | None,
        note: str,
    ) -> None:
        payment.refunded_amount += amount
        payment.status = (
            S.REFUNDED.value
            if payment.refunded_amount >= payment.captured_amount
            else S.PARTIALLY_REFUNDED.value
        )
        await self._log(
            session, payment, T.REFUND_SUCCESS, amount, reference=reference, message=note
        )
        await events.publish(
            session,
            events.PaymentRefunded(
                payment_id=payment.id,
                order_id=payment.order_id,
                amount=amount,
                refunded_total=payment.refunded_amount,
                captured_amount=payment.captured_amount,
                currency=payment.currency,
                fully_refunded=payment.status == S.REFUNDED.value,
            ),
        )

    # ----------------------------------------------------------------- cancellation

    async def order_cancelled(
        self, session: AsyncSession, provider: PaymentProvider, order_id: uuid.UUID
    ) -> None:
        """The order was cancelled: captured money goes back, open intents are cancelled."""
        for payment in await payment_repository.for_order_for_update(session, order_id):
            if payment.order_cancelled:
                continue
            payment.order_cancelled = True
            status = S(payment.status)
            if status in REFUNDABLE:
                remaining = payment.captured_amount - payment.refunded_amount
                await self._refund(session, provider, payment, remaining, note="order cancelled")
            elif status in OPEN:
                await self._log(
                    session, payment, T.CANCEL_REQUEST, payment.amount, message="order cancelled"
                )
                try:
                    snapshot = await provider.cancel_intent(
                        payment.provider_reference, idempotency_key=f"cancel-{payment.id}"
                    )
                except ProviderError as error:
                    # Most likely paid meanwhile: its success will find order_cancelled.
                    await self._log(
                        session, payment, T.CANCEL_FAILURE, payment.amount, message=str(error)
                    )
                    continue
                if snapshot.status == "canceled":
                    payment.status = S.CANCELLED.value
                    await self._log(
                        session,
                        payment,
                        T.CANCEL_SUCCESS,
                        payment.amount,
                        reference=payment.provider_reference,
                    )

    # ----------------------------------------------------------------- development

    async def simulate(
        self,
        session: AsyncSession,
        provider: PaymentProvider,
        viewer: Viewer,
        payment_id: uuid.UUID,
        *,
        succeed: bool,
        production: bool,
    ) -> Payment:
        """The local provider's stand-in for the shopper at Stripe.js: pay, or be declined."""
        if production:
            raise InputErrors.single(
                None,
                Code.NOT_AVAILABLE,
                "Simulated payments exist only in development: APP_ENV is production.",
            )
        viewer.require_user()
        payment = await payment_repository.get_for_update(session, payment_id)
        if payment is None or not can_view(viewer, payment):
            # Another customer's payment answers as an unknown id does.
            raise InputErrors.single("paymentId", Code.NOT_FOUND, "No such payment.")
        if payment.provider != "local":
            raise InputErrors.single(
                "paymentId",
                Code.NOT_LOCAL,
                f"Only payments of the local provider can be simulated (this one is "
                f"{payment.provider}'s).",
            )
        if S(payment.status) not in OPEN:
            raise InputErrors.single(
                "paymentId",
                Code.ILLEGAL_STATE,
                f"This payment is {payment.status}: there is nothing left to pay.",
            )
        charge = f"ch_local_{uuid.uuid4().hex[:24]}"
        if succeed:
            update = IntentUpdate(
                Outcome.SUCCEEDED,
                payment.provider_reference,
                amount=payment.amount,
                currency=payment.currency,
                source=charge,
            )
        else:
            update = IntentUpdate(
                Outcome.FAILED,
                payment.provider_reference,
                message="Your card was declined (simulated).",
                source=charge,
            )
        await self.apply(session, provider, payment, update)
        return await self._settled(session, payment)

    # ----------------------------------------------------------------- reconciliation

    async def reconcile(
        self, session: AsyncSession, provider: PaymentProvider, payment_id: uuid.UUID
    ) -> bool:
        """Re-read one open payment's intent from the provider and apply what it says."""
        payment = await payment_repository.get_for_update(session, payment_id)
        if payment is None or S(payment.status) not in (S.REQUIRES_ACTION, S.PROCESSING):
            return False
        snapshot = await provider.retrieve_intent(payment.provider_reference)
        if snapshot is None:
            return False
        update = update_from_snapshot(snapshot)
        if update is None:
            return False
        return await self.apply(session, provider, payment, update)


payments = PaymentService()
