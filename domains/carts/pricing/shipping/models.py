"""Tables of shipping: zones (sets of countries), methods (a seller's or the platform's
way of sending a parcel, with its delivery estimate) and the rate of a method in a zone.

A seller id is the seller profile that owns the row; null is the platform's, offered to
every seller who defines no method of their own.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domains.carts.models import SCHEMA, Base
from domains.kit.db import created_at_column

MAX_NAME_LENGTH = 100
MAX_DELIVERY_DAYS = 365


class ShippingZone(Base):
    """Where a rate applies: a set of ISO 3166-1 alpha-2 codes; empty means everywhere."""

    __tablename__ = "shipping_zones"
    __table_args__ = (Index("ix_shipping_zones_seller_id", "seller_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    seller_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), nullable=False)
    country_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(2)), nullable=False, server_default=text("'{}'::varchar[]")
    )
    created_at: Mapped[datetime] = created_at_column()


class ShippingMethod(Base):
    """A way of sending a parcel: its estimate, a threshold above which it is free, and
    the currency its rates are in (null: any, the amounts read in the cart's currency)."""

    __tablename__ = "shipping_methods"
    __table_args__ = (
        CheckConstraint("min_days >= 0 AND max_days >= min_days", name="delivery_days"),
        CheckConstraint("free_above >= 0", name="free_above"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency"),
        Index("ix_shipping_methods_seller_id", "seller_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    seller_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), nullable=False)
    min_days: Mapped[int] = mapped_column(Integer, nullable=False)
    max_days: Mapped[int] = mapped_column(Integer, nullable=False)
    free_above: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    # Ended methods are kept: orders name them, and ending one is not undoing it.
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class ShippingRate(Base):
    """What a method costs for a parcel sent to a country of the zone."""

    __tablename__ = "shipping_rates"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price"),
        Index("ix_shipping_rates_zone_id", "zone_id"),
    )

    method_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.shipping_methods.id", ondelete="CASCADE"), primary_key=True
    )
    zone_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.shipping_zones.id", ondelete="CASCADE"), primary_key=True
    )
    price: Mapped[int] = mapped_column(BigInteger, nullable=False)
