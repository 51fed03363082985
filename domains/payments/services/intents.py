"""Payment intents: one opened per order awaiting payment, moved by the provider's word
(webhooks, reconciliation, the local provider's simulation), and cancelled with its
order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Viewer
from domains.kit.errors import InputErrors
from domains.payments import events
from domains.payments.models import Payment, PaymentTransaction, WebhookStatus
from domains.payments.providers import PaymentProvider, ProviderError
from domains.payments.repository import (
    payment_repository,
    transaction_repository,
    webhook_repository,
)
from domains.payments.services.refunds import refunds
from domains.payments.services.rules import (
    OPEN,
    REFUNDABLE,
    Code,
    S,
    T,
    can_view,
    log,
    logger,
    set_status,
    settled,
)
from domains.payments.services.updates import (
    IntentUpdate,
    Outcome,
    update_from_snapshot,
    update_from_stripe_event,
)


class PaymentIntentService:
    # ----------------------------------------------------------------- reads (dataloaders)

    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Payment]:
        return await payment_repository.get_by_ids(session, ids)

    async def of_orders(
        self, session: AsyncSession, order_ids: Sequence[uuid.UUID]
    ) -> list[Payment]:
        return await payment_repository.for_orders(session, order_ids)

    async def transactions_of(
        self, session: AsyncSession, payment_ids: Sequence[uuid.UUID]
    ) -> list[PaymentTransaction]:
        """The payments' logs, oldest first."""
        return await transaction_repository.for_payments(session, payment_ids)

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
        await payment_repository.lock_reference(session, snapshot.reference)
        payment = await payment_repository.open_unless_exists(
            session,
            {
                "id": uuid.uuid4(),
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
            first_entry=T.AUTHORIZATION_REQUEST.value,
        )
        if payment is None:
            return None
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
            await set_status(session, payment, S.PROCESSING)
            await log(session, payment, T.CHARGE_REQUEST, payment.amount, reference=update.source)
            return True
        if update.outcome is Outcome.SUCCEEDED:
            return await self._succeeded(session, provider, payment, update)
        if update.outcome is Outcome.FAILED:
            if status not in OPEN:
                return False
            await set_status(session, payment, S.FAILED)
            reason = update.message or "The payment was declined."
            await log(
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
            await set_status(session, payment, S.CANCELLED)
            await log(
                session, payment, T.CANCEL_SUCCESS, payment.amount, reference=update.reference
            )
            return True
        if update.outcome is Outcome.REFUND_UPDATED:
            return await refunds.refund_updated(session, payment, update)
        return await refunds.refunded_elsewhere(session, payment, update)

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
                await log(
                    session,
                    payment,
                    T.CHARGE_FAILURE,
                    update.amount,
                    reference=update.source,
                    message=reason,
                )
            logger.error("payment %s flagged: %s", payment.id, reason)
            return True
        await set_status(session, payment, S.SUCCEEDED)
        payment.captured_amount = payment.amount
        payment.flagged_reason = None
        await log(session, payment, T.CHARGE_SUCCESS, payment.amount, reference=update.source)
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
            await refunds.send(session, provider, payment, payment.amount, note="order cancelled")
        return True

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
                await refunds.send(session, provider, payment, remaining, note="order cancelled")
            elif status in OPEN:
                await log(
                    session, payment, T.CANCEL_REQUEST, payment.amount, message="order cancelled"
                )
                try:
                    snapshot = await provider.cancel_intent(
                        payment.provider_reference, idempotency_key=f"cancel-{payment.id}"
                    )
                except ProviderError as error:
                    # Most likely paid meanwhile: its success will find order_cancelled.
                    await log(
                        session, payment, T.CANCEL_FAILURE, payment.amount, message=str(error)
                    )
                    continue
                if snapshot.status == "canceled":
                    await set_status(session, payment, S.CANCELLED)
                    await log(
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
        return await settled(session, payment)

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


intents = PaymentIntentService()
