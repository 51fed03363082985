"""The address book of the users domain: the postal addresses an account keeps, and
its default shipping and billing address."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Viewer
from domains.kit.countries import normalize_country_code
from domains.kit.errors import FieldError, InputErrors, quoted
from domains.users.errors import UserErrorCode
from domains.users.models import Address
from domains.users.repositories.addresses import address_repository
from domains.users.services.accounts import account
from domains.users.services.inputs import clean_text

Code = UserErrorCode
MAX_ADDRESSES_PER_USER = 50


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
        user = await account.get_for_update(session, viewer.require_user())
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

    async def list_by_user_ids(
        self, session: AsyncSession, user_ids: Sequence[uuid.UUID]
    ) -> Sequence[Address]:
        """Every address of each account, oldest first. The caller checks access."""
        return await address_repository.list_by_user_ids(session, user_ids)

    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Address]:
        """The addresses by id. The caller checks access."""
        return await address_repository.get_by_ids(session, ids)


addresses = AddressService()
