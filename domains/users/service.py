"""Business rules of the users domain.

Every method takes the session first and never commits: the caller's unit of work does,
so a rule that fails half-way leaves nothing written. Methods record the cache keys their
writes make stale (`mark_stale`); the caller deletes them once the commit succeeded.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import JwtKeys, Role, Viewer
from domains.kit.cache import mark_stale
from domains.kit.config import Settings
from domains.kit.countries import normalize_country_code
from domains.kit.errors import FieldError, InputErrors, NotFound, PermissionDenied, quoted
from domains.kit.pagination import InvalidPaginationArgument, decode_cursor, encode_cursor
from domains.users import cache as cache_keys
from domains.users import mail
from domains.users.errors import UserErrorCode
from domains.users.models import AccountToken, Address, RefreshToken, SellerProfile, User
from domains.users.passwords import hash_password, policy_violation, verify_password
from domains.users.repository import (
    account_token_repository,
    address_repository,
    refresh_token_repository,
    seller_profile_repository,
    user_repository,
)
from domains.users.tokens import hash_opaque_token, issue_access_token, new_opaque_token

Code = UserErrorCode

# Deliberately modest: the address has one @, no spaces, and a dot in the domain. Full
# RFC 5322 validation accepts addresses no mail provider delivers to; the confirmation
# mail is the real check.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 100
PASSWORD_RESET_LIFETIME = timedelta(hours=1)
EMAIL_CONFIRMATION_LIFETIME = timedelta(days=3)
MAX_ADDRESSES_PER_USER = 50


def _now() -> datetime:
    return datetime.now(UTC)


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InputErrors.single(
            field, Code.INVALID, f"{quoted(value)} is not a valid ID."
        ) from None


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


def clean_text(raw: str, field: str, *, max_length: int, required: bool = True) -> str:
    value = raw.strip()
    if required and not value:
        raise InputErrors.single(field, Code.REQUIRED, f"`{field}` must not be empty.")
    if len(value) > max_length:
        raise InputErrors.single(
            field,
            Code.TOO_LONG,
            f"`{field}` must be at most {max_length} characters (got {len(value)}).",
        )
    return value


def check_password(password: str, email: str, field: str = "password") -> None:
    problem = policy_violation(password, email)
    if problem is not None:
        raise InputErrors.single(field, Code.PASSWORD_TOO_WEAK, problem)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    user: User


@dataclass(frozen=True)
class SignedOut:
    """A change that signed sessions out: the transport revokes their access tokens too."""

    user: User
    sessions: set[uuid.UUID]


@dataclass(frozen=True)
class RefreshTokenReused:
    session: uuid.UUID
    error: FieldError


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
            async with session.begin_nested():
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
        token = await _issue_account_token(
            session, user.id, "email_confirmation", EMAIL_CONFIRMATION_LIFETIME
        )
        await mail.enqueue_email_confirmation(
            session, settings, recipient=user.email, name=user.name, token=token
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
        user = await _get_user_for_update(session, viewer.require_user())
        if name is not None:
            user.name = clean_text(name, "name", max_length=MAX_NAME_LENGTH)
            mark_stale(session, cache_keys.user(user.id))
        await session.flush()
        return user

    async def change_password(
        self, session: AsyncSession, viewer: Viewer, *, old_password: str, new_password: str
    ) -> SignedOut:
        user = await _get_user_for_update(session, viewer.require_user())
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
        token = await _issue_account_token(
            session, user.id, "password_reset", PASSWORD_RESET_LIFETIME
        )
        await mail.enqueue_password_reset(
            session, settings, recipient=user.email, name=user.name, token=token
        )

    async def reset_password(
        self, session: AsyncSession, *, token: str, password: str
    ) -> SignedOut:
        account_token = await _use_account_token(session, token, "password_reset")
        user = await _get_user_for_update(session, account_token.user_id)
        check_password(password, user.email)
        user.password_hash = await hash_password(password)
        revoked = await refresh_token_repository.revoke_all_for_user(session, user.id, _now())
        await session.flush()
        return SignedOut(user, revoked)

    async def confirm_email(self, session: AsyncSession, *, token: str) -> User:
        account_token = await _use_account_token(session, token, "email_confirmation")
        user = await _get_user_for_update(session, account_token.user_id)
        user.is_email_confirmed = True
        await session.flush()
        return user

    def ensure_can_view(self, viewer: Viewer, user_id: uuid.UUID) -> None:
        viewer.require_self_or_staff(user_id)


async def _get_user_for_update(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await user_repository.get_by_id_for_update(session, user_id)
    if user is None:
        raise NotFound("The account no longer exists.")
    return user


async def _issue_account_token(
    session: AsyncSession, user_id: uuid.UUID, purpose: str, lifetime: timedelta
) -> str:
    raw = new_opaque_token()
    await account_token_repository.add(
        session,
        AccountToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=hash_opaque_token(raw),
            expires_at=_now() + lifetime,
        ),
    )
    return raw


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


class TokenService:
    async def create(
        self,
        session: AsyncSession,
        settings: Settings,
        keys: JwtKeys,
        *,
        email: str,
        password: str,
    ) -> TokenPair:
        user = await account.authenticate(session, email=email, password=password)
        return await self._issue(session, settings, keys, user, family_id=uuid.uuid4())

    async def refresh(
        self, session: AsyncSession, settings: Settings, keys: JwtKeys, *, refresh_token: str
    ) -> TokenPair | RefreshTokenReused:
        """Rotate a refresh token.

        Returns RefreshTokenReused instead of raising when the token was already rotated:
        that means it leaked, and the revocation of its whole family must be committed,
        not rolled back with the failed refresh.
        """
        now = _now()
        stored = await refresh_token_repository.get_by_hash_for_update(
            session, hash_opaque_token(refresh_token.strip())
        )
        if stored is None or stored.revoked_at is not None:
            raise InputErrors.single(
                "refreshToken", Code.INVALID_TOKEN, "The refresh token is invalid or revoked."
            )
        if stored.rotated_at is not None:
            await refresh_token_repository.revoke_family(session, stored.family_id, now)
            return RefreshTokenReused(
                stored.family_id,
                FieldError(
                    "refreshToken",
                    Code.TOKEN_REUSED,
                    "The refresh token was already used; every session it started has been "
                    "signed out. Sign in again.",
                ),
            )
        if stored.expires_at <= now:
            raise InputErrors.single(
                "refreshToken", Code.EXPIRED_TOKEN, "The refresh token has expired; sign in again."
            )
        user = await user_repository.get_by_id(session, stored.user_id)
        if user is None or not user.is_active:
            raise InputErrors.single(
                "refreshToken", Code.ACCOUNT_INACTIVE, "This account is deactivated."
            )
        stored.rotated_at = now
        return await self._issue(session, settings, keys, user, family_id=stored.family_id)

    async def revoke(self, session: AsyncSession, *, refresh_token: str) -> uuid.UUID:
        """Revoke the sign-in the refresh token belongs to; return its session id."""
        stored = await refresh_token_repository.get_by_hash_for_update(
            session, hash_opaque_token(refresh_token.strip())
        )
        if stored is None:
            raise InputErrors.single(
                "refreshToken", Code.INVALID_TOKEN, "The refresh token is invalid."
            )
        await refresh_token_repository.revoke_family(session, stored.family_id, _now())
        return stored.family_id

    async def _issue(
        self,
        session: AsyncSession,
        settings: Settings,
        keys: JwtKeys,
        user: User,
        *,
        family_id: uuid.UUID,
    ) -> TokenPair:
        access_token, _, expires_at = issue_access_token(
            keys,
            user_id=user.id,
            roles=list(user.roles),
            session_id=family_id,
            seller_profile_id=next(
                (p.id for p in await seller_profile_repository.get_by_user_ids(session, [user.id])),
                None,
            ),
            issuer=settings.jwt_issuer,
            lifetime=settings.jwt_expiry,
        )
        raw_refresh = new_opaque_token()
        await refresh_token_repository.add(
            session,
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_opaque_token(raw_refresh),
                expires_at=_now() + settings.jwt_refresh_expiry,
            ),
        )
        return TokenPair(access_token, expires_at, raw_refresh, user)


@dataclass(frozen=True)
class AddressFields:
    """Address input as given; None means "not given" (for updates)."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    street_address_1: str | None = None
    street_address_2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    country_area: str | None = None
    phone: str | None = None
    is_default_shipping: bool | None = None
    is_default_billing: bool | None = None


# (attribute, GraphQL field name, max length, required on create)
_ADDRESS_TEXT_FIELDS = (
    ("first_name", "firstName", 100, True),
    ("last_name", "lastName", 100, True),
    ("company", "company", 200, False),
    ("street_address_1", "streetAddress1", 200, True),
    ("street_address_2", "streetAddress2", 200, False),
    ("city", "city", 100, True),
    ("postal_code", "postalCode", 20, False),
    ("country_area", "countryArea", 100, False),
    ("phone", "phone", 32, False),
)


def _clean_address(fields: AddressFields, *, creating: bool) -> dict[str, object]:
    errors: list[FieldError] = []
    values: dict[str, object] = {}
    for attribute, field_name, max_length, required in _ADDRESS_TEXT_FIELDS:
        raw = getattr(fields, attribute)
        if raw is None:
            if creating and required:
                errors.append(FieldError(field_name, Code.REQUIRED, f"`{field_name}` is required."))
            continue
        try:
            values[attribute] = clean_text(
                raw, field_name, max_length=max_length, required=required
            )
        except InputErrors as error:
            errors.extend(error.errors)
    if fields.country_code is not None:
        code = normalize_country_code(fields.country_code)
        if code is None:
            errors.append(
                FieldError(
                    "countryCode",
                    Code.INVALID_COUNTRY,
                    f"{quoted(fields.country_code)} is not an ISO 3166-1 alpha-2 country code.",
                )
            )
        else:
            values["country_code"] = code
    elif creating:
        errors.append(FieldError("countryCode", Code.REQUIRED, "`countryCode` is required."))
    if errors:
        raise InputErrors(*errors)
    return values


class AddressService:
    async def create(self, session: AsyncSession, viewer: Viewer, fields: AddressFields) -> Address:
        user = await _get_user_for_update(session, viewer.require_user())
        values = _clean_address(fields, creating=True)
        if await address_repository.count_for_user(session, user.id) >= MAX_ADDRESSES_PER_USER:
            raise InputErrors.single(
                None,
                Code.INVALID,
                f"An account can keep at most {MAX_ADDRESSES_PER_USER} addresses.",
            )
        address = Address(user_id=user.id, **values)
        await self._apply_defaults(session, address, fields)
        await address_repository.add(session, address)
        return address

    async def update(
        self, session: AsyncSession, viewer: Viewer, address_id: uuid.UUID, fields: AddressFields
    ) -> Address:
        address = await self._get_own_for_update(session, viewer, address_id)
        for attribute, value in _clean_address(fields, creating=False).items():
            setattr(address, attribute, value)
        await self._apply_defaults(session, address, fields)
        await session.flush()
        return address

    async def delete(self, session: AsyncSession, viewer: Viewer, address_id: uuid.UUID) -> Address:
        address = await self._get_own_for_update(session, viewer, address_id)
        await address_repository.delete(session, address)
        return address

    async def _get_own_for_update(
        self, session: AsyncSession, viewer: Viewer, address_id: uuid.UUID
    ) -> Address:
        user_id = viewer.require_user()
        address = await address_repository.get_for_update(session, address_id)
        # Someone else's address is reported as missing, not forbidden: ids are not secret
        # but their existence should not be confirmed to strangers.
        if address is None or (address.user_id != user_id and not viewer.is_staff):
            raise InputErrors.single("id", Code.NOT_FOUND, "No such address.")
        return address

    async def _apply_defaults(
        self, session: AsyncSession, address: Address, fields: AddressFields
    ) -> None:
        shipping = fields.is_default_shipping is True and not address.is_default_shipping
        billing = fields.is_default_billing is True and not address.is_default_billing
        if shipping or billing:
            await address_repository.clear_default(
                session, address.user_id, shipping=shipping, billing=billing
            )
        if fields.is_default_shipping is not None:
            address.is_default_shipping = fields.is_default_shipping
        if fields.is_default_billing is not None:
            address.is_default_billing = fields.is_default_billing


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:50].strip("-")


def _clean_slug(raw: str) -> str:
    slug = raw.strip().lower()
    if not (3 <= len(slug) <= 50) or not _SLUG.match(slug):
        raise InputErrors.single(
            "slug",
            Code.INVALID_SLUG,
            "A shop slug is 3 to 50 lowercase letters, digits and single hyphens "
            f"(got {quoted(raw)}).",
        )
    return slug


def _profile_keys(profile: SellerProfile) -> list[str]:
    """Every key a profile is cached under."""
    return [
        cache_keys.seller_profile(profile.id),
        cache_keys.seller_profile_of_user(profile.user_id),
        cache_keys.seller_profile_slug(profile.slug),
    ]


class SellerService:
    async def create_profile(
        self,
        session: AsyncSession,
        viewer: Viewer,
        *,
        shop_name: str,
        slug: str | None,
        description: str | None,
    ) -> SellerProfile:
        user = await _get_user_for_update(session, viewer.require_user())
        if await seller_profile_repository.get_by_user_id_for_update(session, user.id) is not None:
            raise InputErrors.single(
                None, Code.ALREADY_SELLER, "You already have a seller profile."
            )
        name = clean_text(shop_name, "shopName", max_length=100)
        if slug is None and not slugify(name):
            raise InputErrors.single(
                "slug",
                Code.REQUIRED,
                f"No slug can be made from the shop name {name!r}: choose one "
                "(3 to 50 lowercase letters, digits and hyphens).",
            )
        clean_slug = _clean_slug(slug if slug is not None else slugify(name))
        if await seller_profile_repository.slug_exists(session, clean_slug):
            raise InputErrors.single(
                "slug", Code.DUPLICATE_SLUG, f"The shop slug {clean_slug!r} is taken."
            )
        profile = SellerProfile(
            user_id=user.id,
            shop_name=name,
            slug=clean_slug,
            description=clean_text(
                description or "", "description", max_length=5000, required=False
            ),
        )
        try:
            async with session.begin_nested():
                await seller_profile_repository.add(session, profile)
        except IntegrityError:
            raise InputErrors.single(
                "slug", Code.DUPLICATE_SLUG, f"The shop slug {clean_slug!r} is taken."
            ) from None
        if Role.SELLER.value not in user.roles:
            user.roles = [*user.roles, Role.SELLER.value]
        mark_stale(session, *_profile_keys(profile), cache_keys.user(user.id))
        await session.flush()
        return profile

    async def update_profile(
        self,
        session: AsyncSession,
        viewer: Viewer,
        *,
        profile_id: uuid.UUID | None,
        shop_name: str | None,
        description: str | None,
    ) -> SellerProfile:
        user_id = viewer.require_user()
        if profile_id is None:
            profile = await seller_profile_repository.get_by_user_id_for_update(session, user_id)
            if profile is None:
                raise InputErrors.single(None, Code.NOT_A_SELLER, "You have no seller profile.")
        else:
            profile = await seller_profile_repository.get_for_update(session, profile_id)
            if profile is None:
                raise InputErrors.single("id", Code.NOT_FOUND, "No such seller profile.")
            if profile.user_id != user_id and not viewer.is_staff:
                raise PermissionDenied("Only the seller or staff can edit this profile.")
        if shop_name is not None:
            profile.shop_name = clean_text(shop_name, "shopName", max_length=100)
        if description is not None:
            profile.description = clean_text(
                description, "description", max_length=5000, required=False
            )
        mark_stale(session, *_profile_keys(profile))
        await session.flush()
        return profile

    async def list_page(
        self, session: AsyncSession, *, first: int, after: str | None
    ) -> tuple[Sequence[SellerProfile], bool]:
        """One page plus one extra row (to tell if there is a next page)."""
        key: tuple[datetime, uuid.UUID] | None = None
        if after is not None:
            created_at, profile_id = decode_cursor("SellerProfile", after, arity=2)
            try:
                key = (datetime.fromisoformat(created_at), uuid.UUID(str(profile_id)))
            except (TypeError, ValueError):
                raise InvalidPaginationArgument(
                    f"The cursor {quoted(after)} is malformed."
                ) from None
        rows = await seller_profile_repository.list_page(session, limit=first + 1, after=key)
        return rows, after is not None

    def cursor(self, profile: SellerProfile) -> str:
        return encode_cursor("SellerProfile", [profile.created_at.isoformat(), str(profile.id)])


account = AccountService()
tokens = TokenService()
addresses = AddressService()
sellers = SellerService()
