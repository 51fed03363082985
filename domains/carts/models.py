"""Tables of the carts domain, all in the Postgres schema `carts`.

Customers, variants and orders belong to other domains: plain UUID columns here, never
foreign keys across schemas.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domains.kit.db import created_at_column, domain_metadata, one_of, updated_at_column
from domains.kit.events import EventTables

SCHEMA = "carts"

MAX_QUANTITY = 999
MAX_LINES = 100


class Base(DeclarativeBase):
    metadata = domain_metadata(SCHEMA)


EVENT_TABLES = EventTables(Base.metadata)


class CartStatus(StrEnum):
    OPEN = "OPEN"
    MERGED = "MERGED"  # a guest cart folded into its customer's cart at sign-in
    CHECKED_OUT = "CHECKED_OUT"  # its checkout produced an order awaiting payment
    EXPIRED = "EXPIRED"  # an abandoned guest cart


class Cart(Base):
    """A guest cart (no customer; its random id is the bearer token that opens it) or a
    customer's cart (opened only by its customer)."""

    __tablename__ = "carts"
    __table_args__ = (
        CheckConstraint(one_of("status", CartStatus), name="status"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency"),
        # One open cart per customer: `me { cart }` is unambiguous.
        Index(
            "uq_carts_open_customer",
            "customer_id",
            unique=True,
            postgresql_where=text("status = 'OPEN' AND customer_id IS NOT NULL"),
        ),
        Index(
            "ix_carts_guest_activity",
            "updated_at",
            postgresql_where=text("status = 'OPEN' AND customer_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=CartStatus.OPEN.value
    )
    # Set by the first line whose variant's currency is known; every line shares it.
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = created_at_column()
    # Last activity: abandoned guest carts expire from it.
    updated_at: Mapped[datetime] = updated_at_column()


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id"),
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    cart_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.carts.id", ondelete="CASCADE"), nullable=False
    )
    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class VariantOffer(Base):
    """What carts knows of a variant from the products domain's events: a hint for
    the cart's currency, for capping merged quantities by stock and for noticing a price
    change at checkout. The reservation in products stays the authority."""

    __tablename__ = "variant_offers"

    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    product_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # The seller profile selling it: vouchers and shipping apply per seller.
    seller_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    currency: Mapped[str | None] = mapped_column(String(3))
    # What it sells for now, after the best active promotion.
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    # Before any promotion; null when no producer said (then it is price_amount).
    list_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    promotion_name: Mapped[str | None] = mapped_column(String(200))
    # The product's category and its ancestors: what category vouchers match.
    category_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'")
    )
    price_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    available: Mapped[int | None] = mapped_column(Integer)
    stock_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CheckoutStatus(StrEnum):
    PENDING = "PENDING"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    FAILED = "FAILED"
    # Later states of the order, followed so that a replayed answer is current.
    PAID = "PAID"
    FULFILLED = "FULFILLED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


class Checkout(Base):
    """One checkoutComplete: the order it asked for, and what became of it.

    The order id is chosen here, so the answer can name the order before the orders
    domain has created it; (customer, idempotency key) is unique, so a retried request
    finds this row instead of asking for a second order.
    """

    __tablename__ = "checkouts"
    __table_args__ = (
        UniqueConstraint("customer_id", "idempotency_key"),
        CheckConstraint(one_of("status", CheckoutStatus), name="status"),
        Index("ix_checkouts_cart_id", "cart_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    cart_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(
        String(24), nullable=False, server_default=CheckoutStatus.PENDING.value
    )
    # The order's status changes arrive out of order at times: only a newer one applies.
    status_sequence: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    # [{"variant_id": ..., "requested": n, "available": n}] when stock ran short.
    failed_lines: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    # Line ids of the cart by variant, as they were when checking out.
    line_ids: Mapped[dict[str, str]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


# Tables declared beside their concept under pricing/ join this metadata once the models
# are loaded, so Alembic and the models-against-migrations test see the whole schema.
from domains.carts.pricing.shipping import models as _shipping_tables  # noqa: E402, F401
from domains.carts.pricing.tax import models as _tax_tables  # noqa: E402, F401
from domains.carts.pricing.vouchers import models as _voucher_tables  # noqa: E402, F401
