"""Every SQL statement of the payments domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Executable, String, bindparam, delete, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.db import all_rows, get_for_update
from domains.payments.models import (
    Payment,
    PaymentStatus,
    PaymentTransaction,
    Refund,
    WebhookEvent,
    WebhookStatus,
)


class PaymentRepository:
    async def open_unless_exists(
        self,
        session: AsyncSession,
        values: dict[str, Any],
        first_entry: str,
    ) -> Payment | None:
        """Insert the payment with the first entry of its log (`first_entry`, a
        TransactionType, for its whole amount under its intent's reference) in one
        statement; the payment as stored, or None (and no entry) when a payment with that
        idempotency key or intent exists."""
        opened: Payment | None = await session.scalar(
            _OPEN_PAYMENT,
            {**{f"p_{key}": values[key] for key in _OPENED_WITH}, "t_type": first_entry},
        )
        return opened

    async def get(self, session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
        return await session.scalar(
            select(Payment)
            .where(Payment.id == payment_id)
            .execution_options(populate_existing=True)
        )

    async def get_for_update(self, session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
        return await get_for_update(session, Payment, payment_id)

    async def get_by_reference_for_update(
        self, session: AsyncSession, reference: str
    ) -> Payment | None:
        return await get_for_update(session, Payment, reference, by=Payment.provider_reference)

    async def for_order_for_update(
        self, session: AsyncSession, order_id: uuid.UUID
    ) -> list[Payment]:
        rows = await session.scalars(
            select(Payment)
            .where(Payment.order_id == order_id)
            .order_by(Payment.created_at, Payment.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(rows.all())

    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Payment]:
        return await all_rows(session, select(Payment).where(Payment.id.in_(ids)))

    async def for_orders(
        self, session: AsyncSession, order_ids: Sequence[uuid.UUID]
    ) -> list[Payment]:
        rows = await session.scalars(
            select(Payment)
            .where(Payment.order_id.in_(order_ids))
            .order_by(Payment.order_id, Payment.created_at, Payment.id)
        )
        return list(rows.all())

    async def open_for_provider(self, session: AsyncSession, provider: str) -> list[uuid.UUID]:
        """Payments still waiting for the provider's word, oldest first."""
        rows = await session.scalars(
            select(Payment.id)
            .where(
                Payment.provider == provider,
                Payment.status.in_(
                    [PaymentStatus.REQUIRES_ACTION.value, PaymentStatus.PROCESSING.value]
                ),
            )
            .order_by(Payment.created_at)
        )
        return list(rows.all())

    async def lock_reference(self, session: AsyncSession, reference: str) -> None:
        """Serialise the creation of a payment row and webhooks naming its intent, so an
        early webhook is either seen by the creation or sees the row (until commit)."""
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"payments:{reference}"},
        )


# The columns a payment is opened with (the rest are the database's defaults).
_OPENED_WITH = (
    "id",
    "order_id",
    "customer_id",
    "provider",
    "provider_reference",
    "idempotency_key",
    "client_secret",
    "amount",
    "currency",
    "status",
)


def _open_payment() -> Executable:
    # The payment's insert as a CTE the log's insert reads: no payment inserted (a
    # conflict), no entry. Parameter names unlike the columns' (see orders' repository).
    opened = (
        insert(Payment)
        .values({key: bindparam(f"p_{key}") for key in _OPENED_WITH})
        .on_conflict_do_nothing()
        .returning(*Payment.__table__.c)
        .cte("opened")
    )
    logged = insert(PaymentTransaction).from_select(
        ["payment_id", "type", "amount", "currency", "provider_reference", "message"],
        select(
            opened.c.id,
            bindparam("t_type", type_=String),
            opened.c.amount,
            opened.c.currency,
            opened.c.provider_reference,
            literal(""),
        ),
    )
    return (
        select(Payment)
        .from_statement(select(opened).add_cte(logged.cte("logged")))
        .execution_options(populate_existing=True)
    )


# Every order awaiting payment opens one: built once.
_OPEN_PAYMENT = _open_payment()


class TransactionRepository:
    async def add(self, session: AsyncSession, row: PaymentTransaction) -> None:
        session.add(row)
        await session.flush()

    async def count_of_type(self, session: AsyncSession, payment_id: uuid.UUID, type_: str) -> int:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(PaymentTransaction)
                .where(
                    PaymentTransaction.payment_id == payment_id, PaymentTransaction.type == type_
                )
            )
            or 0
        )

    async def for_payments(
        self, session: AsyncSession, payment_ids: Sequence[uuid.UUID]
    ) -> list[PaymentTransaction]:
        rows = await session.scalars(
            select(PaymentTransaction)
            .where(PaymentTransaction.payment_id.in_(payment_ids))
            .order_by(PaymentTransaction.payment_id, PaymentTransaction.id)
        )
        return list(rows.all())


class RefundRepository:
    async def add(self, session: AsyncSession, row: Refund) -> None:
        session.add(row)
        await session.flush()

    async def get_by_reference_for_update(
        self, session: AsyncSession, reference: str
    ) -> Refund | None:
        return await get_for_update(session, Refund, reference, by=Refund.provider_reference)


class WebhookRepository:
    async def record(
        self,
        session: AsyncSession,
        *,
        event_id: str,
        provider: str,
        type_: str,
        reference: str | None,
        payload: dict[str, Any],
    ) -> bool:
        """Insert the event as received; False when its id was seen before. A concurrent
        delivery of the same id waits on the key and then finds it taken."""
        result = await session.execute(
            insert(WebhookEvent)
            .values(
                id=event_id,
                provider=provider,
                type=type_,
                provider_reference=reference,
                status=WebhookStatus.IGNORED.value,
                payload=payload,
            )
            .on_conflict_do_nothing()
            .returning(WebhookEvent.id)
        )
        return result.scalar_one_or_none() is not None

    async def set_status(self, session: AsyncSession, event_id: str, status: WebhookStatus) -> None:
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .values(
                status=status.value,
                applied_at=datetime.now(UTC) if status is WebhookStatus.APPLIED else None,
            )
        )

    async def pending_for(self, session: AsyncSession, reference: str) -> list[WebhookEvent]:
        rows = await session.scalars(
            select(WebhookEvent)
            .where(
                WebhookEvent.provider_reference == reference,
                WebhookEvent.status == WebhookStatus.PENDING.value,
            )
            .order_by(WebhookEvent.received_at, WebhookEvent.id)
        )
        return list(rows.all())

    async def delete_parked_before(self, session: AsyncSession, cutoff: datetime) -> int:
        """Delete events parked (PENDING) since before `cutoff`; how many went."""
        result = await session.execute(
            delete(WebhookEvent)
            .where(
                WebhookEvent.status == WebhookStatus.PENDING.value,
                WebhookEvent.received_at < cutoff,
            )
            .returning(WebhookEvent.id)
        )
        return len(result.all())


payment_repository = PaymentRepository()
transaction_repository = TransactionRepository()
refund_repository = RefundRepository()
webhook_repository = WebhookRepository()
