"""Tables of the local tax rules: each country's settings (inclusive or exclusive prices,
whether shipping is taxed, the standard rate) and the rules that override the standard
rate for a region, a category, or both. Rates are basis points (2000 = 20.00 %)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from domains.carts.models import SCHEMA, Base
from domains.kit.db import created_at_column, updated_at_column

MAX_RATE = 10_000  # 100 %
MAX_REGION_LENGTH = 10
MAX_RULE_NAME_LENGTH = 100


class TaxCountry(Base):
    """How one destination country taxes. A country without a row taxes nothing, with
    prices exclusive of tax."""

    __tablename__ = "tax_countries"
    __table_args__ = (
        CheckConstraint(f"standard_rate BETWEEN 0 AND {MAX_RATE}", name="standard_rate"),
    )

    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, nullable=False)
    tax_shipping: Mapped[bool] = mapped_column(Boolean, nullable=False)
    standard_rate: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = updated_at_column()


class TaxRule(Base):
    """A rate replacing the country's standard one: in a region ('' = the whole
    country), for a category and its descendants (null = every category), or both."""

    __tablename__ = "tax_rules"
    __table_args__ = (
        CheckConstraint(f"rate BETWEEN 0 AND {MAX_RATE}", name="rate"),
        UniqueConstraint(
            "country_code", "region_code", "category_id", postgresql_nulls_not_distinct=True
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    country_code: Mapped[str] = mapped_column(
        ForeignKey(f"{SCHEMA}.tax_countries.country_code", ondelete="CASCADE"), nullable=False
    )
    region_code: Mapped[str] = mapped_column(
        String(MAX_REGION_LENGTH), nullable=False, server_default=""
    )
    category_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    rate: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(MAX_RULE_NAME_LENGTH), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
