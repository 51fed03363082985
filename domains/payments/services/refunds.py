"""Refunds: staff asking for money back, the provider's later news about a refund, and
refunds made at the provider itself (the Stripe Dashboard)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Viewer
from domains.kit.errors import InputErrors
from domains.payments import events
from domains.payments.models import Payment, Refund, RefundStatus
from domains.payments.providers import PaymentProvider, ProviderError
from domains.payments.repository import (
    payment_repository,
    refund_repository,
    transaction_repository,
)
from domains.payments.services.rules import (
    REFUNDABLE,
    Code,
    S,
    T,
    log,
    logger,
    set_status,
    settled,
)
from domains.payments.services.updates import IntentUpdate

# Refund statuses after which the money did not go back.
REFUND_NOT_MADE = {"failed": RefundStatus.FAILED, "canceled": RefundStatus.CANCELED}


class RefundService:
    async def refund(
        self,
        session: AsyncSession,
        provider: PaymentProvider,
        viewer: Viewer,
        payment_id: uuid.UUID,
        amount: int | None,
    ) -> Payment:
        """Staff: give back `amount` (all that is left when None), never more than captured."""
        viewer.require_staff("Only staff refund payments.")
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
            await self.send(session, provider, payment, amount, note="")
        except ProviderError as error:
            raise InputErrors.single("paymentId", Code.PROVIDER_ERROR, str(error)) from None
        return await settled(session, payment)

    async def send(
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
        await log(session, payment, T.REFUND_REQUEST, amount, message=note)
        result = await provider.refund(
            payment.provider_reference, amount=amount, idempotency_key=key
        )
        if result.status in ("failed", "canceled"):
            raise ProviderError(f"The provider refused the refund ({result.status}).")
        # A pending refund counts against what is left at once, so that a second refund
        # cannot overdraw the capture while the first settles; if it fails later,
        # `refund_updated` takes it back out.
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
        await self.record(session, payment, amount, reference=result.reference, note=note)

    async def record(
        self,
        session: AsyncSession,
        payment: Payment,
        amount: int,
        *,
        reference: str | None,
        note: str,
    ) -> None:
        payment.refunded_amount += amount
        await set_status(
            session,
            payment,
            S.REFUNDED
            if payment.refunded_amount >= payment.captured_amount
            else S.PARTIALLY_REFUNDED,
        )
        await log(session, payment, T.REFUND_SUCCESS, amount, reference=reference, message=note)
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

    # ----------------------------------------------------------------- the provider's word

    async def refunded_elsewhere(
        self, session: AsyncSession, payment: Payment, update: IntentUpdate
    ) -> bool:
        """`charge.refunded` carries the charge's refunded total: refunds made through us
        are counted already; anything beyond (the Stripe Dashboard) is recorded here."""
        if S(payment.status) not in REFUNDABLE:
            return False
        extra = min(update.amount, payment.captured_amount) - payment.refunded_amount
        if extra <= 0:
            return False
        await self.record(
            session, payment, extra, reference=update.source, note="refunded at the provider"
        )
        return True

    async def refund_updated(
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
        await set_status(
            session, payment, S.PARTIALLY_REFUNDED if payment.refunded_amount > 0 else S.SUCCEEDED
        )
        await log(
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


refunds = RefundService()
