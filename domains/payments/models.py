"""Tables of the payments domain, all in the Postgres schema `payments`.

Orders and customers belong to other domains: plain UUID columns here. Amounts are in
the currency's minor units.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domains.kit.db import created_at_column, domain_metadata, one_of, updated_at_column
from domains.kit.events import EventTables

SCHEMA = "payments"


class Base(DeclarativeBase):
    metadata = domain_metadata(SCHEMA)


EVENT_TABLES = EventTables(Base.metadata)


class PaymentStatus(StrEnum):
    REQUIRES_ACTION = "REQUIRES_ACTION"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


class TransactionType(StrEnum):
    """Saleor's transaction event kinds: what was asked of the provider, and its answer."""

    AUTHORIZATION_REQUEST = "AUTHORIZATION_REQUEST"
    AUTHORIZATION_SUCCESS = "AUTHORIZATION_SUCCESS"
    AUTHORIZATION_FAILURE = "AUTHORIZATION_FAILURE"
    CHARGE_REQUEST = "CHARGE_REQUEST"
    CHARGE_SUCCESS = "CHARGE_SUCCESS"
    CHARGE_FAILURE = "CHARGE_FAILURE"
    REFUND_REQUEST = "REFUND_REQUEST"
    REFUND_SUCCESS = "REFUND_SUCCESS"
    REFUND_FAILURE = "REFUND_FAILURE"
    CANCEL_REQUEST = "CANCEL_REQUEST"
    CANCEL_SUCCESS = "CANCEL_SUCCESS"
    CANCEL_FAILURE = "CANCEL_FAILURE"


class RefundStatus(StrEnum):
    """Stripe's refund statuses: a PENDING refund may still become FAILED or CANCELED."""

    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class WebhookStatus(StrEnum):
    APPLIED = "APPLIED"
    # For an intent with no payment row yet: applied when the row is written.
    PENDING = "PENDING"
    IGNORED = "IGNORED"


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(one_of("status", PaymentStatus), name="status"),
        CheckConstraint("amount > 0", name="amount"),
        # Never more refunded than captured, never more captured than asked for.
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= captured_amount "
            "AND captured_amount <= amount",
            name="refund_within_capture",
        ),
        Index("ix_payments_order", "order_id", "created_at"),
        Index(
            "ix_payments_open",
            "created_at",
            postgresql_where=text("status IN ('REQUIRES_ACTION', 'PROCESSING')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    # The PaymentIntent id (pi_...), or the local provider's imitation of one.
    provider_reference: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    # Derived from the order and amount: a retried creation finds the same intent.
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    client_secret: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    captured_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    refunded_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    # Set when the provider reported something that does not match (amount, currency):
    # such a payment is not treated as paid until someone looks at it.
    flagged_reason: Mapped[str | None] = mapped_column(String(500))
    # The order was cancelled: a charge that still succeeds is refunded at once.
    order_cancelled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class PaymentTransaction(Base):
    """One line of a payment's log, Saleor style; rows are only ever added."""

    __tablename__ = "payment_transactions"
    __table_args__ = (
        CheckConstraint(one_of("type", TransactionType), name="type"),
        Index("ix_payment_transactions_payment", "payment_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.payments.id", ondelete="CASCADE"), nullable=False
    )
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    # The intent, charge, refund or webhook event the line is about.
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(String(500), nullable=False, server_default="")
    created_at: Mapped[datetime] = created_at_column()


class Refund(Base):
    """One refund asked of the provider through us. A FAILED or CANCELED one no longer
    counts in its payment's refunded_amount."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint(one_of("status", RefundStatus), name="status"),
        CheckConstraint("amount > 0", name="amount"),
        Index("ix_refunds_payment", "payment_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    payment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.payments.id", ondelete="CASCADE"), nullable=False
    )
    # The provider's refund id (re_...): its later news (refund.failed) names it.
    provider_reference: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    failure_reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class WebhookEvent(Base):
    """Every verified provider event once, by its id: a redelivery finds its row."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        CheckConstraint(one_of("status", WebhookStatus), name="status"),
        Index(
            "ix_webhook_events_pending",
            "provider_reference",
            postgresql_where=text("status = 'PENDING'"),
        ),
        # For the sweep of parked events that never found their payment.
        Index(
            "ix_webhook_events_parked",
            "received_at",
            postgresql_where=text("status = 'PENDING'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
