"""Every SQL statement of the users domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from domains.users.models import (
    AccountToken,
    Address,
    EmailOutbox,
    RefreshToken,
    RevokedAccess,
    SellerProfile,
    User,
)


@dataclass(frozen=True, slots=True)
class PublicUser:
    """What any viewer may see of an account: safe to cache and to share between viewers.

    The email, the password hash and the confirmation flag are deliberately not here.
    """

    id: uuid.UUID
    name: str
    roles: tuple[str, ...]
    created_at: datetime


class UserRepository:
    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[User]:
        result = await session.scalars(select(User).where(User.id.in_(ids)))
        return result.all()

    async def get_public_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> list[PublicUser]:
        result = await session.execute(
            select(User.id, User.name, User.roles, User.created_at).where(User.id.in_(ids))
        )
        return [
            PublicUser(id=row.id, name=row.name, roles=tuple(row.roles), created_at=row.created_at)
            for row in result
        ]

    async def get_by_id(self, session: AsyncSession, user_id: uuid.UUID) -> User | None:
        return await session.get(User, user_id)

    async def get_by_id_for_update(self, session: AsyncSession, user_id: uuid.UUID) -> User | None:
        return await session.scalar(select(User).where(User.id == user_id).with_for_update())

    async def get_by_email(self, session: AsyncSession, email: str) -> User | None:
        return await session.scalar(select(User).where(func.lower(User.email) == email.lower()))

    async def email_exists(self, session: AsyncSession, email: str) -> bool:
        found = await session.scalar(
            select(User.id).where(func.lower(User.email) == email.lower()).limit(1)
        )
        return found is not None

    async def add(self, session: AsyncSession, user: User) -> User:
        session.add(user)
        await session.flush()
        return user


class RefreshTokenRepository:
    async def get_by_hash_for_update(
        self, session: AsyncSession, token_hash: str
    ) -> RefreshToken | None:
        return await session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        )

    async def add(self, session: AsyncSession, token: RefreshToken) -> None:
        session.add(token)
        await session.flush()

    async def revoke_family(
        self, session: AsyncSession, family_id: uuid.UUID, at: datetime
    ) -> None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def revoke_all_for_user(
        self,
        session: AsyncSession,
        user_id: uuid.UUID,
        at: datetime,
        *,
        keep_family: uuid.UUID | None = None,
    ) -> set[uuid.UUID]:
        """Revoke every live refresh token of a user (but one sign-in's); return their families."""
        query = update(RefreshToken).where(
            RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
        )
        if keep_family is not None:
            query = query.where(RefreshToken.family_id != keep_family)
        result = await session.execute(
            query.values(revoked_at=at).returning(RefreshToken.family_id)
        )
        return set(result.scalars().all())


async def count_users_signed_in_since(session: AsyncSession, since: datetime) -> int:
    """Distinct accounts that signed in or refreshed a token since the moment."""
    count = await session.scalar(
        select(func.count(func.distinct(RefreshToken.user_id))).where(
            RefreshToken.created_at >= since
        )
    )
    return int(count or 0)


class AccountTokenRepository:
    async def add(self, session: AsyncSession, token: AccountToken) -> None:
        session.add(token)
        await session.flush()

    async def get_by_hash_for_update(
        self, session: AsyncSession, purpose: str, token_hash: str
    ) -> AccountToken | None:
        return await session.scalar(
            select(AccountToken)
            .where(AccountToken.purpose == purpose, AccountToken.token_hash == token_hash)
            .with_for_update()
        )

    async def invalidate_unused(
        self, session: AsyncSession, user_id: uuid.UUID, purpose: str, at: datetime
    ) -> None:
        await session.execute(
            update(AccountToken)
            .where(
                AccountToken.user_id == user_id,
                AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None),
            )
            .values(used_at=at)
        )


class AddressRepository:
    async def list_by_user_ids(
        self, session: AsyncSession, user_ids: Sequence[uuid.UUID]
    ) -> Sequence[Address]:
        result = await session.scalars(
            select(Address)
            .where(Address.user_id.in_(user_ids))
            .order_by(Address.created_at, Address.id)
        )
        return result.all()

    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Address]:
        result = await session.scalars(select(Address).where(Address.id.in_(ids)))
        return result.all()

    async def get_for_update(self, session: AsyncSession, address_id: uuid.UUID) -> Address | None:
        return await session.scalar(
            select(Address).where(Address.id == address_id).with_for_update()
        )

    async def count_for_user(self, session: AsyncSession, user_id: uuid.UUID) -> int:
        count = await session.scalar(
            select(func.count()).select_from(Address).where(Address.user_id == user_id)
        )
        return int(count or 0)

    async def add(self, session: AsyncSession, address: Address) -> None:
        session.add(address)
        await session.flush()

    async def clear_default(
        self, session: AsyncSession, user_id: uuid.UUID, *, shipping: bool, billing: bool
    ) -> None:
        if shipping:
            await session.execute(
                update(Address)
                .where(Address.user_id == user_id, Address.is_default_shipping)
                .values(is_default_shipping=False)
            )
        if billing:
            await session.execute(
                update(Address)
                .where(Address.user_id == user_id, Address.is_default_billing)
                .values(is_default_billing=False)
            )

    async def delete(self, session: AsyncSession, address: Address) -> None:
        await session.execute(delete(Address).where(Address.id == address.id))


class SellerProfileRepository:
    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[SellerProfile]:
        result = await session.scalars(select(SellerProfile).where(SellerProfile.id.in_(ids)))
        return result.all()

    async def get_by_user_ids(
        self, session: AsyncSession, user_ids: Sequence[uuid.UUID]
    ) -> Sequence[SellerProfile]:
        result = await session.scalars(
            select(SellerProfile).where(SellerProfile.user_id.in_(user_ids))
        )
        return result.all()

    async def get_by_slugs(
        self, session: AsyncSession, slugs: Sequence[str]
    ) -> Sequence[SellerProfile]:
        result = await session.scalars(select(SellerProfile).where(SellerProfile.slug.in_(slugs)))
        return result.all()

    async def get_by_user_id_for_update(
        self, session: AsyncSession, user_id: uuid.UUID
    ) -> SellerProfile | None:
        return await session.scalar(
            select(SellerProfile).where(SellerProfile.user_id == user_id).with_for_update()
        )

    async def get_for_update(
        self, session: AsyncSession, profile_id: uuid.UUID
    ) -> SellerProfile | None:
        return await session.scalar(
            select(SellerProfile).where(SellerProfile.id == profile_id).with_for_update()
        )

    async def slug_exists(self, session: AsyncSession, slug: str) -> bool:
        return (
            await session.scalar(
                select(SellerProfile.id).where(SellerProfile.slug == slug).limit(1)
            )
        ) is not None

    async def add(self, session: AsyncSession, profile: SellerProfile) -> None:
        session.add(profile)
        await session.flush()

    async def list_page(
        self,
        session: AsyncSession,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[SellerProfile]:
        """Newest first, keyset-paginated on (created_at, id)."""
        query = select(SellerProfile).order_by(
            SellerProfile.created_at.desc(), SellerProfile.id.desc()
        )
        if after is not None:
            query = query.where(tuple_(SellerProfile.created_at, SellerProfile.id) < tuple_(*after))
        result = await session.scalars(query.limit(limit))
        return result.all()

    async def count(self, session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(SellerProfile)) or 0)


class EmailOutboxRepository:
    async def add(self, session: AsyncSession, message: EmailOutbox) -> None:
        session.add(message)
        await session.flush()

    async def claim_due(
        self, session: AsyncSession, now: datetime, limit: int, max_attempts: int
    ) -> Sequence[EmailOutbox]:
        """Lock a batch of due messages; SKIP LOCKED lets several senders share the outbox."""
        result = await session.scalars(
            select(EmailOutbox)
            .where(
                EmailOutbox.sent_at.is_(None),
                EmailOutbox.next_attempt_at <= now,
                EmailOutbox.attempts < max_attempts,
            )
            .order_by(EmailOutbox.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return result.all()


# Revocations take this advisory lock shared, for the rest of their transaction; copying
# the record into Redis takes it exclusively, so no revocation commits between the
# copy's read and its marker.
REVOCATIONS_LOCK = 0x7573_7265_766F_6B65  # "usrevoke"


class RevokedAccessRepository:
    async def lock_for_revoking(self, session: AsyncSession) -> None:
        await session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": REVOCATIONS_LOCK}
        )

    async def try_lock_for_copying(self, session: AsyncSession) -> bool:
        return bool(
            await session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": REVOCATIONS_LOCK}
            )
        )

    async def add_many(
        self,
        session: AsyncSession,
        entries: Sequence[tuple[str, str, datetime]],
        *,
        cached: bool,
    ) -> None:
        """Record (kind, value, expires_at) revocations; a repeated one keeps the later expiry."""
        if not entries:
            return
        statement = insert(RevokedAccess).values(
            [
                {
                    "kind": kind,
                    "value": value,
                    "expires_at": expires_at,
                    "cached": cached,
                }
                for kind, value, expires_at in entries
            ]
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[RevokedAccess.kind, RevokedAccess.value],
                set_={
                    "expires_at": func.greatest(
                        RevokedAccess.expires_at, statement.excluded.expires_at
                    ),
                    "cached": RevokedAccess.cached.op("AND")(statement.excluded.cached),
                },
            )
        )

    async def is_revoked(
        self, session: AsyncSession, *, token_id: str, session_id: str | None, now: datetime
    ) -> bool:
        matches: ColumnElement[bool] = (RevokedAccess.kind == "token") & (
            RevokedAccess.value == token_id
        )
        if session_id is not None:
            matches = or_(
                matches, (RevokedAccess.kind == "session") & (RevokedAccess.value == session_id)
            )
        found = await session.scalar(
            select(exists().where(matches, RevokedAccess.expires_at > now))
        )
        return bool(found)

    async def list_live(
        self, session: AsyncSession, now: datetime, *, only_uncached: bool = False
    ) -> Sequence[RevokedAccess]:
        query = select(RevokedAccess).where(RevokedAccess.expires_at > now)
        if only_uncached:
            query = query.where(RevokedAccess.cached.is_(False))
        return (await session.scalars(query)).all()

    async def mark_cached(self, session: AsyncSession, rows: Sequence[RevokedAccess]) -> None:
        if rows:
            await session.execute(
                update(RevokedAccess)
                .where(
                    tuple_(RevokedAccess.kind, RevokedAccess.value).in_(
                        [(row.kind, row.value) for row in rows]
                    )
                )
                .values(cached=True)
            )

    async def delete_expired(self, session: AsyncSession, now: datetime) -> None:
        await session.execute(delete(RevokedAccess).where(RevokedAccess.expires_at <= now))


user_repository = UserRepository()
refresh_token_repository = RefreshTokenRepository()
account_token_repository = AccountTokenRepository()
address_repository = AddressRepository()
seller_profile_repository = SellerProfileRepository()
email_outbox_repository = EmailOutboxRepository()
revoked_access_repository = RevokedAccessRepository()
