"""Tables of the orders domain, all in the Postgres schema `orders`.

Customers, sellers, variants and products belong to other domains: plain UUID columns
here, with the names, SKUs and prices copied in as they were at reservation.
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
    Integer,
    Sequence,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domains.kit.db import created_at_column, domain_metadata, one_of, updated_at_column
from domains.kit.events import EventTables

SCHEMA = "orders"


class Base(DeclarativeBase):
    metadata = domain_metadata(SCHEMA)


EVENT_TABLES = EventTables(Base.metadata)

ORDER_NUMBERS = Sequence("order_number_seq", metadata=Base.metadata, start=1001)


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    PAID = "PAID"
    FULFILLED = "FULFILLED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


class DiscountKind(StrEnum):
    PROMOTION = "PROMOTION"
    VOUCHER = "VOUCHER"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("customer_id", "idempotency_key"),
        CheckConstraint(one_of("status", OrderStatus), name="status"),
        # Inclusive tax (EU style) is already inside the prices: it is shown, not added.
        CheckConstraint(
            "total = subtotal - discount + shipping + CASE WHEN tax_included THEN 0 ELSE tax END",
            name="total",
        ),
        CheckConstraint(
            "subtotal >= 0 AND discount >= 0 AND shipping >= 0 AND tax >= 0 AND total >= 0",
            name="amounts_not_negative",
        ),
        Index("ix_orders_customer_newest", "customer_id", text("created_at DESC"), text("id DESC")),
        Index(
            "ix_orders_payment_due",
            "payment_due_at",
            postgresql_where=text("status IN ('PENDING', 'AWAITING_PAYMENT')"),
        ),
    )

    # Chosen by carts at checkout, so its answer can name the order before it exists here.
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    number: Mapped[int] = mapped_column(
        BigInteger, ORDER_NUMBERS, server_default=ORDER_NUMBERS.next_value(), unique=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    checkout_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    # Counts status changes: OrderStatusChanged carries it so followers apply them in order.
    status_sequence: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    currency: Mapped[str | None] = mapped_column(String(3))
    # The price breakdown the order was placed at (CheckoutRequested's quote), or the flat
    # fallback at reservation for a checkout that sent none (pricing.py).
    subtotal: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    discount: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    shipping: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    tax: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    tax_included: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    total: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    # Each discount by name: {"kind", "name", "code", "amount"}, as applied at checkout.
    discounts: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    failed_lines: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    payment_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "variant_id"),
        CheckConstraint("quantity BETWEEN 1 AND 999", name="quantity"),
        CheckConstraint(
            "list_unit_price >= 0 AND unit_price >= 0 AND discount >= 0 AND shipping >= 0 "
            "AND tax >= 0 AND total >= 0",
            name="amounts_not_negative",
        ),
        Index("ix_order_lines_seller_order", "seller_id", "order_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.orders.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    # What the cart last heard the price was; PRICE_CHANGED when the reservation differs.
    expected_unit_price: Mapped[int | None] = mapped_column(BigInteger)
    expected_currency: Mapped[str | None] = mapped_column(String(3))
    # Snapshotted from StockReserved: null until stock is reserved.
    product_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    seller_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    product_name: Mapped[str | None] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(64))
    unit_price: Mapped[int | None] = mapped_column(BigInteger)
    # The line's share of the breakdown: null until the order is priced (at checkout, or
    # at reservation by the fallback). `total` is what refunding the line gives back.
    list_unit_price: Mapped[int | None] = mapped_column(BigInteger)
    discount: Mapped[int | None] = mapped_column(BigInteger)
    shipping: Mapped[int | None] = mapped_column(BigInteger)
    tax: Mapped[int | None] = mapped_column(BigInteger)
    total: Mapped[int | None] = mapped_column(BigInteger)
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tracking_number: Mapped[str | None] = mapped_column(String(100))


class OrderParcel(Base):
    """What one seller ships of an order: the method chosen at checkout, its price and
    estimate, and, once all the seller's lines are fulfilled, when and how it left."""

    __tablename__ = "order_parcels"
    __table_args__ = (
        UniqueConstraint("order_id", "seller_id"),
        CheckConstraint("price >= 0 AND tax >= 0", name="amounts_not_negative"),
        CheckConstraint("min_days >= 0 AND max_days >= min_days", name="estimate"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.orders.id", ondelete="CASCADE"), nullable=False
    )
    seller_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    # Carts' shipping method; null for a method carts does not name, and for the fallback.
    method_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    method_name: Mapped[str] = mapped_column(String(200), nullable=False)
    price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tax: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Null when nothing was promised (the fallback's flat fee).
    min_days: Mapped[int | None] = mapped_column(Integer)
    max_days: Mapped[int | None] = mapped_column(Integer)
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tracking_number: Mapped[str | None] = mapped_column(String(100))


class OrderStatusChange(Base):
    __tablename__ = "order_status_history"
    __table_args__ = (
        CheckConstraint(one_of("status", OrderStatus), name="status"),
        Index("ix_order_status_history_order", "order_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.orders.id", ondelete="CASCADE"), nullable=False
    )
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    note: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    created_at: Mapped[datetime] = created_at_column()


class EarlyStockAnswer(Base):
    """Products' answer about an order's stock that came before the order itself.

    Products reserves a checkout's units from CheckoutRequested while orders places the
    order from the same event, in parallel, so either may finish first. An answer for an
    order not placed yet waits here, and placing the order applies it (service.py).
    """

    __tablename__ = "early_stock_answers"

    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    received_at: Mapped[datetime] = created_at_column()
