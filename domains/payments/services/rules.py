"""What every payments service shares: the status sets, ids, who may see a payment,
the payment's transaction log, and setting its status (announced as PaymentStatusChanged)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Viewer
from domains.kit.errors import parse_uuid
from domains.payments import events
from domains.payments.errors import PaymentErrorCode
from domains.payments.models import Payment, PaymentStatus, PaymentTransaction, TransactionType
from domains.payments.repository import transaction_repository

logger = logging.getLogger("shopgraph.payments")

Code = PaymentErrorCode
S = PaymentStatus
T = TransactionType

OPEN = frozenset({S.REQUIRES_ACTION, S.PROCESSING, S.FAILED})
REFUNDABLE = frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED})


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    return parse_uuid(value, field, Code.INVALID)


def can_view(viewer: Viewer, payment: Payment) -> bool:
    return viewer.is_staff or viewer.user_id == payment.customer_id


async def log(
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


async def set_status(session: AsyncSession, payment: Payment, status: PaymentStatus) -> None:
    """Set the payment's status and announce it, in the same unit of work: followers of
    the payment (paymentStatusChanged) hear every change, in commit order."""
    previous = payment.status
    payment.status = status.value
    await events.publish(
        session,
        events.PaymentStatusChanged(
            payment_id=payment.id,
            order_id=payment.order_id,
            customer_id=payment.customer_id,
            status=status.value,
            previous_status=previous,
            changed_at=datetime.now(UTC),
        ),
    )


async def settled(session: AsyncSession, payment: Payment) -> Payment:
    # updated_at is set by the database: read it back before the session closes.
    await session.flush()
    await session.refresh(payment)
    return payment
