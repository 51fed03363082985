"""Tables of vouchers: the codes staff and sellers hand out, the codes applied to open
carts, and the ledger of their uses by orders.

`vouchers.uses_held` counts the uses reserved by checkouts plus those committed by paid
orders: the conditional UPDATE of a checkout checks it against `usage_limit`, so the limit
holds however many checkouts race (pricing/vouchers/service.py). A released use gives it
back. Orders and customers belong to other domains: plain UUID columns.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domains.carts.models import SCHEMA, Base
from domains.kit.db import created_at_column, one_of, updated_at_column

MAX_CODE_LENGTH = 32
MAX_NAME_LENGTH = 200
# 100.00 %: a percentage voucher's value is in basis points.
FULL_RATE = 10_000

# The engine's DiscountKind and VoucherScope, spelled out: carts' models load these
# tables, and the engine imports carts' events, which import carts' models.
KINDS = ("PERCENTAGE", "FIXED")
SCOPES = ("ORDER", "SELLER", "CATEGORIES", "PRODUCTS")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Voucher(Base):
    """A discount code: what it takes off, on which lines, when, and how often.

    `seller_id` is the seller profile funding it (its lines only); null is the platform's.
    `currency` is the currency of a FIXED value and of `min_subtotal`; null only for a
    percentage without a minimum, which applies in any currency.
    """

    __tablename__ = "vouchers"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint(f"code ~ '^[A-Z0-9_-]{{3,{MAX_CODE_LENGTH}}}$'", name="code"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("scope", SCOPES), name="scope"),
        CheckConstraint(
            f"value > 0 AND (kind <> 'PERCENTAGE' OR value <= {FULL_RATE})", name="value"
        ),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency"),
        CheckConstraint(
            "currency IS NOT NULL OR (kind = 'PERCENTAGE' AND min_subtotal = 0)",
            name="currency_needed",
        ),
        CheckConstraint("min_subtotal >= 0", name="min_subtotal"),
        CheckConstraint("scope <> 'SELLER' OR seller_id IS NOT NULL", name="seller_scope"),
        CheckConstraint(
            "scope <> 'CATEGORIES' OR cardinality(category_ids) > 0", name="categories_scope"
        ),
        CheckConstraint(
            "scope <> 'PRODUCTS' OR cardinality(product_ids) > 0", name="products_scope"
        ),
        CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at", name="dates"
        ),
        CheckConstraint("usage_limit IS NULL OR usage_limit > 0", name="usage_limit"),
        CheckConstraint(
            "per_customer_limit IS NULL OR per_customer_limit > 0", name="per_customer_limit"
        ),
        CheckConstraint(
            "uses_held >= 0 AND (usage_limit IS NULL OR uses_held <= usage_limit)",
            name="uses_held",
        ),
        # A seller's listing, newest first; staff list them all by the same order.
        Index("ix_vouchers_seller_id_created_at", "seller_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    # Stored upper-case: codes are matched case-insensitively.
    code: Mapped[str] = mapped_column(String(MAX_CODE_LENGTH), nullable=False)
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # Basis points for PERCENTAGE, minor units of `currency` for FIXED.
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)
    scope: Mapped[str] = mapped_column(String(16), nullable=False)
    seller_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    category_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'")
    )
    product_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'")
    )
    min_subtotal: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    currency: Mapped[str | None] = mapped_column(String(3))
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    usage_limit: Mapped[int | None] = mapped_column(Integer)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)
    combinable: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    uses_held: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class CartVoucher(Base):
    """A code applied to an open cart; `position` is the order the vouchers apply in."""

    __tablename__ = "cart_vouchers"
    __table_args__ = (Index("ix_cart_vouchers_voucher_id", "voucher_id"),)

    cart_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.carts.id", ondelete="CASCADE"), primary_key=True
    )
    voucher_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.vouchers.id"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    applied_at: Mapped[datetime] = created_at_column()


class RedemptionStatus(StrEnum):
    RESERVED = "RESERVED"  # held by a checkout whose order is not paid yet
    COMMITTED = "COMMITTED"  # the order was paid: the use is spent
    RELEASED = "RELEASED"  # the order failed or was cancelled: the use was given back


class VoucherRedemption(Base):
    """One order's use of one voucher."""

    __tablename__ = "voucher_redemptions"
    __table_args__ = (
        UniqueConstraint("voucher_id", "order_id"),
        CheckConstraint(one_of("status", RedemptionStatus), name="status"),
        Index("ix_voucher_redemptions_order_id", "order_id"),
        # What a per-customer limit counts: the customer's uses not given back.
        Index(
            "ix_voucher_redemptions_held_by_customer",
            "voucher_id",
            "customer_id",
            postgresql_where=text("status <> 'RELEASED'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    voucher_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.vouchers.id"), nullable=False
    )
    checkout_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=RedemptionStatus.RESERVED.value
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
