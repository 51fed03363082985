"""Accounts of the users domain: registering, signing in with a password, the account's
own changes (name, password, a forgotten password, confirming the email), and reading
accounts for the GraphQL layer and event handlers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Role, Viewer
from domains.kit.cache import mark_stale
from domains.kit.config import Settings
from domains.kit.errors import FieldError, InputErrors, NotFound, quoted
from domains.kit.events import savepoint
from domains.users import cache as cache_keys
from domains.users import mail
from domains.users.errors import UserErrorCode
from domains.users.models import AccountToken, User
from domains.users.passwords import hash_password, policy_violation, verify_password
from domains.users.repositories.accounts import account_token_repository, user_repository
from domains.users.repositories.tokens import refresh_token_repository
from domains.users.services.inputs import clean_text
from domains.users.tokens import hash_opaque_token, new_opaque_token

Code = UserErrorCode

# Deliberately modest: the address has one @, no spaces, and a dot in the domain. Full
# RFC 5322 validation accepts addresses no mail provider delivers to; the confirmation
# mail is the real check.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 100
PASSWORD_RESET_LIFETIME = timedelta(hours=1)
EMAIL_CONFIRMATION_LIFETIME = timedelta(days=3)


def _now() -> datetime:
    return datetime.now(UTC)


def normalize_email(raw: str, field: str = "email") -> str:
    email = raw.strip().lower()
    if not email:
        raise InputErrors.single(field, Code.REQUIRED, "Enter an email address.")
    if len(email) > MAX_EMAIL_LENGTH:
        raise InputErrors.single(
            field,
            Code.INVALID_EMAIL,
            f"An email address is at most {MAX_EMAIL_LENGTH} characters.",
        )
    if not _EMAIL.match(email):
        raise InputErrors.single(
            field, Code.INVALID_EMAIL, f"{quoted(raw.strip())} is not a valid email address."
        )
    return email


def check_password(password: str, email: str, field: str = "password") -> None:
    problem = policy_violation(password, email)
    if problem is not None:
        raise InputErrors.single(field, Code.PASSWORD_TOO_WEAK, problem)


@dataclass(frozen=True, slots=True)
class PublicUser:
    """What any viewer may see of an account: safe to cache and to share between viewers.

    The email, the password hash and the confirmation flag are deliberately not here.
    """

    id: uuid.UUID
    name: str
    roles: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class SignedOut:
    """A change that signed sessions out: the transport revokes their access tokens too."""

    user: User
    sessions: set[uuid.UUID]


def _session_uuid(viewer: Viewer) -> uuid.UUID | None:
    try:
        return uuid.UUID(viewer.session_id) if viewer.session_id else None
    except ValueError:
        return None


class AccountService:
    async def register(
        self, session: AsyncSession, settings: Settings, *, email: str, password: str, name: str
    ) -> User:
        # Report every problem at once, not one per attempt.
        errors: list[FieldError] = []
        try:
            normalize_email(email)
        except InputErrors as error:
            errors.extend(error.errors)
        try:
            clean_text(name, "name", max_length=MAX_NAME_LENGTH)
        except InputErrors as error:
            errors.extend(error.errors)
        normalized = email.strip().lower()
        problem = policy_violation(password, normalized)
        if problem is not None:
            errors.append(FieldError("password", Code.PASSWORD_TOO_WEAK, problem))
        if errors:
            raise InputErrors(*errors)

        # The password is hashed either way, so the time taken does not tell either.
        password_hash = await hash_password(password)
        existing = await user_repository.get_by_email(session, normalized)
        if existing is not None:
            return await self._answer_existing(session, settings, existing, name)
        user = User(
            email=normalized,
            password_hash=password_hash,
            name=name.strip(),
            roles=[Role.CUSTOMER.value],
        )
        try:
            async with savepoint(session):
                await user_repository.add(session, user)
        except IntegrityError:
            # Two registrations raced past the existence check; the unique index decided.
            existing = await user_repository.get_by_email(session, normalized)
            if existing is None:  # the winner was deleted again since: let the client retry
                raise
            return await self._answer_existing(session, settings, existing, name)
        mark_stale(session, cache_keys.user(user.id))
        await self._send_confirmation(session, settings, user)
        return user

    async def _answer_existing(
        self, session: AsyncSession, settings: Settings, owner: User, name: str
    ) -> User:
        """Registering an email that has an account answers as a new registration does
        (OWASP: no account enumeration), with an account that is never stored, and tells
        the owner instead: only whoever reads that mailbox learns the address is taken."""
        await mail.enqueue_registration_attempt(
            session, settings, recipient=owner.email, name=owner.name
        )
        return User(
            id=uuid.uuid4(),
            email=owner.email,
            password_hash="",
            name=name.strip(),
            roles=[Role.CUSTOMER.value],
            is_active=True,
            is_email_confirmed=False,
            created_at=_now(),
        )

    async def _send_confirmation(
        self, session: AsyncSession, settings: Settings, user: User
    ) -> None:
        await _mail_account_link(
            session,
            settings,
            user,
            "email_confirmation",
            EMAIL_CONFIRMATION_LIFETIME,
            mail.EMAIL_CONFIRMATION,
        )

    async def authenticate(self, session: AsyncSession, *, email: str, password: str) -> User:
        user = await user_repository.get_by_email(session, email.strip().lower())
        # Same message and the same argon2 work whether the email or the password is wrong.
        valid = await verify_password(user.password_hash if user else None, password)
        if user is None or not valid:
            raise InputErrors.single(
                None, Code.INVALID_CREDENTIALS, "The email or password is incorrect."
            )
        if not user.is_active:
            raise InputErrors.single(None, Code.ACCOUNT_INACTIVE, "This account is deactivated.")
        return user

    async def update(self, session: AsyncSession, viewer: Viewer, *, name: str | None) -> User:
        user = await self.get_for_update(session, viewer.require_user())
        if name is not None:
            user.name = clean_text(name, "name", max_length=MAX_NAME_LENGTH)
            mark_stale(session, cache_keys.user(user.id))
        await session.flush()
        return user

    async def change_password(
        self, session: AsyncSession, viewer: Viewer, *, old_password: str, new_password: str
    ) -> SignedOut:
        user = await self.get_for_update(session, viewer.require_user())
        if not await verify_password(user.password_hash, old_password):
            raise InputErrors.single(
                "oldPassword", Code.INCORRECT_PASSWORD, "The current password is incorrect."
            )
        check_password(new_password, user.email, "newPassword")
        user.password_hash = await hash_password(new_password)
        # Other devices must sign in again with the new password; this one stays signed in.
        current = _session_uuid(viewer)
        revoked = await refresh_token_repository.revoke_all_for_user(
            session, user.id, _now(), keep_family=current
        )
        await session.flush()
        return SignedOut(user, revoked)

    async def request_password_reset(
        self, session: AsyncSession, settings: Settings, *, email: str
    ) -> None:
        """Mail a reset link if the account exists. The answer is the same either way, so
        this cannot be used to learn which emails have accounts."""
        user = await user_repository.get_by_email(session, email.strip().lower())
        if user is None or not user.is_active:
            return
        now = _now()
        await account_token_repository.invalidate_unused(session, user.id, "password_reset", now)
        await _mail_account_link(
            session, settings, user, "password_reset", PASSWORD_RESET_LIFETIME, mail.PASSWORD_RESET
        )

    async def reset_password(
        self, session: AsyncSession, *, token: str, password: str
    ) -> SignedOut:
        account_token = await _use_account_token(session, token, "password_reset")
        user = await self.get_for_update(session, account_token.user_id)
        check_password(password, user.email)
        user.password_hash = await hash_password(password)
        revoked = await refresh_token_repository.revoke_all_for_user(session, user.id, _now())
        await session.flush()
        return SignedOut(user, revoked)

    async def confirm_email(self, session: AsyncSession, *, token: str) -> User:
        account_token = await _use_account_token(session, token, "email_confirmation")
        user = await self.get_for_update(session, account_token.user_id)
        user.is_email_confirmed = True
        await session.flush()
        return user

    def ensure_can_view(self, viewer: Viewer, user_id: uuid.UUID) -> None:
        viewer.require_self_or_staff(user_id)

    async def get(self, session: AsyncSession, user_id: uuid.UUID) -> User | None:
        return await user_repository.get_by_id(session, user_id)

    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[User]:
        return await user_repository.get_by_ids(session, ids)

    async def get_public_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> list[PublicUser]:
        rows = await user_repository.get_public_by_ids(session, ids)
        return [
            PublicUser(id=row.id, name=row.name, roles=tuple(row.roles), created_at=row.created_at)
            for row in rows
        ]

    async def get_for_update(self, session: AsyncSession, user_id: uuid.UUID) -> User:
        user = await user_repository.get_by_id_for_update(session, user_id)
        if user is None:
            raise NotFound("The account no longer exists.")
        return user


async def _mail_account_link(
    session: AsyncSession,
    settings: Settings,
    user: User,
    purpose: str,
    lifetime: timedelta,
    link: mail.AccountLinkMail,
) -> None:
    """Issue a one-use token for `purpose` and mail the account its link."""
    raw = new_opaque_token()
    await account_token_repository.add(
        session,
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_opaque_token(raw),
            expires_at=_now() + lifetime,
        ),
    )
    await mail.enqueue_account_link(
        session, settings, link, recipient=user.email, name=user.name, token=raw
    )


async def _use_account_token(session: AsyncSession, raw: str, purpose: str) -> AccountToken:
    token = await account_token_repository.get_by_hash_for_update(
        session, purpose, hash_opaque_token(raw.strip())
    )
    if token is None or token.used_at is not None:
        raise InputErrors.single(
            "token", Code.INVALID_TOKEN, "This link is invalid or has already been used."
        )
    if token.expires_at <= _now():
        raise InputErrors.single(
            "token", Code.EXPIRED_TOKEN, "This link has expired; ask for a new one."
        )
    token.used_at = _now()
    return token


account = AccountService()
