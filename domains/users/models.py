"""Tables of the users domain, all in the Postgres schema `users`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from domains.kit.db import created_at_column, domain_metadata, updated_at_column
from domains.kit.events import EventTables

SCHEMA = "users"


class Base(DeclarativeBase):
    metadata = domain_metadata(SCHEMA)


# The users domain consumes order events (customer emails); see consumers.py.
EVENT_TABLES = EventTables(Base.metadata)


class TimestampedMixin:
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class User(TimestampedMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # Emails are stored normalised; the index on lower() also guards rows written by
        # hand or by an older version of the code.
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    roles: Mapped[list[str]] = mapped_column(
        ARRAY(String(16)), nullable=False, server_default=text("ARRAY['CUSTOMER']::varchar[]")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    is_email_confirmed: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )

    addresses: Mapped[list[Address]] = relationship(back_populates="user", lazy="raise")
    seller_profile: Mapped[SellerProfile | None] = relationship(back_populates="user", lazy="raise")


class RefreshToken(Base):
    """One refresh token of a rotation family; only its SHA-256 is stored."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RevokedAccess(Base):
    """An access token, or every access token of a sign-in session, refused until the
    moment the last of them expires: the record behind the Redis cache of revocations
    (domains/kit/revocation.py, domains/users/revocations.py)."""

    __tablename__ = "revoked_access"
    __table_args__ = (
        CheckConstraint("kind IN ('token', 'session')", name="kind"),
        Index("ix_revoked_access_not_cached", "revoked_at", postgresql_where=text("NOT cached")),
    )

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    # The token's jti, or the session's id (the refresh token family).
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )
    # False when Redis could not be written before the commit (only a replayed refresh
    # token commits its revocations anyway); the users worker copies such rows over.
    cached: Mapped[bool] = mapped_column(Boolean, nullable=False)


class AccountToken(Base):
    """Single-use, expiring tokens mailed to the user (password reset, email confirmation)."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint("purpose IN ('password_reset', 'email_confirmation')", name="purpose"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Address(TimestampedMixin, Base):
    __tablename__ = "addresses"
    __table_args__ = (
        # At most one default of each kind per user, enforced by the database.
        Index(
            "uq_addresses_default_shipping",
            "user_id",
            unique=True,
            postgresql_where=text("is_default_shipping"),
        ),
        Index(
            "uq_addresses_default_billing",
            "user_id",
            unique=True,
            postgresql_where=text("is_default_billing"),
        ),
        CheckConstraint("country_code ~ '^[A-Z]{2}$'", name="country_code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    company: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    street_address_1: Mapped[str] = mapped_column(String(200), nullable=False)
    street_address_2: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    postal_code: Mapped[str] = mapped_column(String(20), nullable=False, server_default="")
    country_code: Mapped[str] = mapped_column(String(2), nullable=False)
    country_area: Mapped[str] = mapped_column(String(100), nullable=False, server_default="")
    phone: Mapped[str] = mapped_column(String(32), nullable=False, server_default="")
    is_default_shipping: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    is_default_billing: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )

    user: Mapped[User] = relationship(back_populates="addresses", lazy="raise")


class SellerProfile(TimestampedMixin, Base):
    __tablename__ = "seller_profiles"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    shop_name: Mapped[str] = mapped_column(String(100), nullable=False)
    slug: Mapped[str] = mapped_column(String(50), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")

    user: Mapped[User] = relationship(back_populates="seller_profile", lazy="raise")


class EmailOutbox(Base):
    """Mail waiting to be sent; written in the same transaction as what caused it."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        Index(
            "ix_email_outbox_pending", "next_attempt_at", postgresql_where=text("sent_at IS NULL")
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    template: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
