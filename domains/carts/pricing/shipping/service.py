"""Shipping's rules: who manages which zones and methods, what a valid one is, and the
options a seller's parcel is offered for a destination.

Sellers manage their own zones and methods; staff manage the platform's (and may change a
seller's). A seller with no active method of their own ships with the platform's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.errors import CartErrorCode
from domains.carts.pricing.money import ShippingOption
from domains.carts.pricing.shipping.models import (
    MAX_DELIVERY_DAYS,
    MAX_NAME_LENGTH,
    ShippingMethod,
    ShippingRate,
    ShippingZone,
)
from domains.carts.pricing.shipping.repository import (
    method_repository,
    rate_repository,
    zone_repository,
)
from domains.kit.auth import Role, Viewer
from domains.kit.countries import normalize_country_code
from domains.kit.errors import FieldError, InputErrors, PermissionDenied, parse_uuid, quoted

Code = CartErrorCode

# What a parcel is offered when the platform has configured no method at all (a fresh
# database before migration 0004's default, or one emptied): the flat fee of old.
BUILT_IN_STANDARD = ShippingOption(
    method_id=None, name="Standard shipping", price=500, free_above=None, min_days=3, max_days=7
)
MAX_PRICE = 100_000_000
MAX_COUNTRIES = 300


class Keep(Enum):
    """An update's field left as it is (as opposed to set to null)."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class RateInput:
    zone_id: str
    price: int


@dataclass(frozen=True)
class ZoneInput:
    name: str
    country_codes: Sequence[str]


@dataclass(frozen=True)
class ZoneUpdate:
    name: str | None = None
    country_codes: Sequence[str] | None = None


@dataclass(frozen=True)
class MethodInput:
    name: str
    min_days: int
    max_days: int
    rates: Sequence[RateInput]
    free_above: int | None = None
    currency: str | None = None


@dataclass(frozen=True)
class MethodUpdate:
    name: str | None = None
    min_days: int | None = None
    max_days: int | None = None
    free_above: int | Keep | None = KEEP
    currency: str | Keep | None = KEEP
    rates: Sequence[RateInput] | None = None


@dataclass(frozen=True)
class MethodWithRates:
    method: ShippingMethod
    rates: list[tuple[ShippingRate, ShippingZone]]


# --------------------------------------------------------------------------- validation


def _name(raw: str, field: str, errors: list[FieldError]) -> str:
    name = raw.strip()
    if not name:
        errors.append(FieldError(field, Code.REQUIRED, "A name is required."))
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(
            FieldError(field, Code.INVALID, f"A name is at most {MAX_NAME_LENGTH} characters.")
        )
    return name


def clean_country_codes(raw: Sequence[str], field: str, errors: list[FieldError]) -> list[str]:
    """Upper-cased ISO 3166-1 alpha-2 codes, each once, sorted."""
    if len(raw) > MAX_COUNTRIES:
        errors.append(FieldError(field, Code.INVALID, f"At most {MAX_COUNTRIES} countries."))
        return []
    codes: set[str] = set()
    for index, value in enumerate(raw):
        code = normalize_country_code(value)
        if code is None:
            errors.append(
                FieldError(
                    f"{field}.{index}",
                    Code.INVALID,
                    f"{quoted(value)} is not an ISO 3166-1 alpha-2 country code.",
                )
            )
        else:
            codes.add(code)
    return sorted(codes)


def _days(min_days: int, max_days: int, errors: list[FieldError]) -> None:
    if not 0 <= min_days <= MAX_DELIVERY_DAYS:
        errors.append(FieldError("minDays", Code.INVALID, f"minDays is 0 to {MAX_DELIVERY_DAYS}."))
    if not min_days <= max_days <= MAX_DELIVERY_DAYS:
        errors.append(
            FieldError(
                "maxDays",
                Code.INVALID,
                f"maxDays is minDays ({min_days}) to {MAX_DELIVERY_DAYS}.",
            )
        )


def _amount(value: int | None, field: str, errors: list[FieldError]) -> None:
    if value is not None and not 0 <= value <= MAX_PRICE:
        errors.append(
            FieldError(field, Code.INVALID, f"An amount is 0 to {MAX_PRICE} minor units.")
        )


def _currency(raw: str | None, errors: list[FieldError]) -> str | None:
    if raw is None:
        return None
    currency = raw.strip().upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        errors.append(
            FieldError("currency", Code.INVALID, f"{quoted(raw)} is not an ISO 4217 code.")
        )
    return currency


def _id(raw: str, field: str, errors: list[FieldError]) -> uuid.UUID | None:
    try:
        return parse_uuid(raw, field, Code.INVALID)
    except InputErrors as error:
        errors.extend(error.errors)
        return None


# --------------------------------------------------------------------------- who


def manager_of(viewer: Viewer) -> uuid.UUID | None:
    """Whose shipping the viewer manages: their shop's, or the platform's (None) for staff."""
    viewer.require_user()
    if viewer.is_staff:
        return None
    if Role.SELLER in viewer.roles and viewer.seller_profile_id is not None:
        return viewer.seller_profile_id
    raise PermissionDenied("Only sellers (their own) and staff (the platform's) manage shipping.")


def _may_manage(viewer: Viewer, owner: uuid.UUID | None, row_seller_id: uuid.UUID | None) -> bool:
    return viewer.is_staff or row_seller_id == owner


def _now() -> datetime:
    return datetime.now(UTC)


class ShippingService:
    # ----------------------------------------------------------------- zones

    async def create_zone(
        self, session: AsyncSession, viewer: Viewer, data: ZoneInput
    ) -> ShippingZone:
        owner = manager_of(viewer)
        errors: list[FieldError] = []
        name = _name(data.name, "name", errors)
        codes = clean_country_codes(data.country_codes, "countryCodes", errors)
        if errors:
            raise InputErrors(*errors)
        return await zone_repository.add(
            session, ShippingZone(seller_id=owner, name=name, country_codes=codes)
        )

    async def _zone_to_change(
        self, session: AsyncSession, viewer: Viewer, raw_id: str
    ) -> ShippingZone:
        owner = manager_of(viewer)
        zone_id = parse_uuid(raw_id, "id", Code.INVALID)
        zone = await zone_repository.get_for_update(session, zone_id)
        if zone is None or not _may_manage(viewer, owner, zone.seller_id):
            raise InputErrors.single("id", Code.NOT_FOUND, "No such shipping zone.")
        return zone

    async def update_zone(
        self, session: AsyncSession, viewer: Viewer, raw_id: str, data: ZoneUpdate
    ) -> ShippingZone:
        zone = await self._zone_to_change(session, viewer, raw_id)
        errors: list[FieldError] = []
        name = None if data.name is None else _name(data.name, "name", errors)
        codes = (
            None
            if data.country_codes is None
            else clean_country_codes(data.country_codes, "countryCodes", errors)
        )
        if errors:
            raise InputErrors(*errors)
        if name is not None:
            zone.name = name
        if codes is not None:
            zone.country_codes = codes
        await session.flush()
        return zone

    async def delete_zone(self, session: AsyncSession, viewer: Viewer, raw_id: str) -> ShippingZone:
        zone = await self._zone_to_change(session, viewer, raw_id)
        if await zone_repository.used_by_active_method(session, zone.id):
            raise InputErrors.single(
                "id",
                Code.IN_USE,
                "An active shipping method has a rate in this zone: change or end it first.",
            )
        await zone_repository.delete(session, zone)
        return zone

    async def zones(self, session: AsyncSession, viewer: Viewer) -> list[ShippingZone]:
        owner = manager_of(viewer)
        return await zone_repository.listed(session, owner, every_owner=viewer.is_staff)

    # ----------------------------------------------------------------- methods

    async def create_method(
        self, session: AsyncSession, viewer: Viewer, data: MethodInput
    ) -> ShippingMethod:
        owner = manager_of(viewer)
        errors: list[FieldError] = []
        name = _name(data.name, "name", errors)
        _days(data.min_days, data.max_days, errors)
        _amount(data.free_above, "freeAbove", errors)
        currency = _currency(data.currency, errors)
        prices = await self._rates(session, owner, data.rates, errors)
        if errors:
            raise InputErrors(*errors)
        method = await method_repository.add(
            session,
            ShippingMethod(
                seller_id=owner,
                name=name,
                min_days=data.min_days,
                max_days=data.max_days,
                free_above=data.free_above,
                currency=currency,
            ),
        )
        await rate_repository.replace(session, method.id, prices)
        return method

    async def _rates(
        self,
        session: AsyncSession,
        owner: uuid.UUID | None,
        rates: Sequence[RateInput],
        errors: list[FieldError],
    ) -> list[tuple[uuid.UUID, int]]:
        """The rates as (zone id, price), each zone the method owner's and named once."""
        if not rates:
            errors.append(FieldError("rates", Code.REQUIRED, "Give at least one zone's rate."))
            return []
        wanted: list[tuple[int, uuid.UUID, int]] = []
        for index, rate in enumerate(rates):
            zone_id = _id(rate.zone_id, f"rates.{index}.zoneId", errors)
            _amount(rate.price, f"rates.{index}.price", errors)
            if zone_id is not None:
                wanted.append((index, zone_id, rate.price))
        zones = await zone_repository.get_many(session, [zone_id for _, zone_id, _ in wanted])
        seen: set[uuid.UUID] = set()
        prices = []
        for index, zone_id, price in wanted:
            zone = zones.get(zone_id)
            if zone is None or zone.seller_id != owner:
                errors.append(
                    FieldError(
                        f"rates.{index}.zoneId",
                        Code.NOT_FOUND,
                        "No such shipping zone among the method owner's zones.",
                    )
                )
            elif zone_id in seen:
                errors.append(
                    FieldError(f"rates.{index}.zoneId", Code.INVALID, "One rate per zone.")
                )
            else:
                seen.add(zone_id)
                prices.append((zone_id, price))
        return prices

    async def _method_to_change(
        self, session: AsyncSession, viewer: Viewer, raw_id: str
    ) -> ShippingMethod:
        owner = manager_of(viewer)
        method_id = parse_uuid(raw_id, "id", Code.INVALID)
        method = await method_repository.get_for_update(session, method_id)
        if method is None or not _may_manage(viewer, owner, method.seller_id):
            raise InputErrors.single("id", Code.NOT_FOUND, "No such shipping method.")
        return method

    async def update_method(
        self, session: AsyncSession, viewer: Viewer, raw_id: str, data: MethodUpdate
    ) -> ShippingMethod:
        method = await self._method_to_change(session, viewer, raw_id)
        if method.ended_at is not None:
            raise InputErrors.single("id", Code.INVALID, "This shipping method has ended.")
        errors: list[FieldError] = []
        name = None if data.name is None else _name(data.name, "name", errors)
        min_days = method.min_days if data.min_days is None else data.min_days
        max_days = method.max_days if data.max_days is None else data.max_days
        _days(min_days, max_days, errors)
        free_above = method.free_above if data.free_above is KEEP else data.free_above
        _amount(free_above, "freeAbove", errors)
        currency = method.currency if data.currency is KEEP else _currency(data.currency, errors)
        prices = (
            None
            if data.rates is None
            else await self._rates(session, method.seller_id, data.rates, errors)
        )
        if errors:
            raise InputErrors(*errors)
        if name is not None:
            method.name = name
        method.min_days, method.max_days = min_days, max_days
        method.free_above, method.currency = free_above, currency
        await session.flush()
        if prices is not None:
            await rate_repository.replace(session, method.id, prices)
        return method

    async def end_method(
        self, session: AsyncSession, viewer: Viewer, raw_id: str
    ) -> ShippingMethod:
        """Stop offering the method; ending an ended method changes nothing."""
        method = await self._method_to_change(session, viewer, raw_id)
        if method.ended_at is None:
            method.ended_at = _now()
            await session.flush()
        return method

    async def methods(self, session: AsyncSession, viewer: Viewer) -> list[MethodWithRates]:
        """The viewer's methods (staff: every seller's and the platform's), with their
        rates and zones: three statements however many methods."""
        owner = manager_of(viewer)
        methods = await method_repository.listed(session, owner, every_owner=viewer.is_staff)
        return await self.with_rates(session, methods)

    async def with_rates(
        self, session: AsyncSession, methods: Sequence[ShippingMethod]
    ) -> list[MethodWithRates]:
        rates = await rate_repository.for_methods(session, [method.id for method in methods])
        zones = await zone_repository.get_many(session, list({rate.zone_id for rate in rates}))
        by_method: dict[uuid.UUID, list[tuple[ShippingRate, ShippingZone]]] = {}
        for rate in rates:
            by_method.setdefault(rate.method_id, []).append((rate, zones[rate.zone_id]))
        return [MethodWithRates(method, by_method.get(method.id, [])) for method in methods]

    # ----------------------------------------------------------------- options

    async def parcel_options(
        self,
        session: AsyncSession,
        seller_ids: Sequence[uuid.UUID],
        country_code: str,
        currency: str | None,
    ) -> dict[uuid.UUID, list[ShippingOption]]:
        """Each seller's shipping options for a parcel to `country_code`, cheapest first:
        the seller's own active methods, or the platform's when the seller has none.
        One statement however many sellers."""
        methods, rates, zones = await method_repository.priced_for_sellers_and_platform(
            session, seller_ids
        )
        active = [method for method in methods if method.ended_at is None]
        rates_of: dict[uuid.UUID, list[ShippingRate]] = {}
        for rate in rates:
            rates_of.setdefault(rate.method_id, []).append(rate)
        offered: dict[uuid.UUID, ShippingOption] = {}
        for method in active:
            if method.currency is not None and currency is not None and method.currency != currency:
                continue
            price = _price_to(rates_of.get(method.id, []), zones, country_code)
            if price is not None:
                offered[method.id] = _option(method, price)
        platform_configured = any(method.seller_id is None for method in methods)
        options: dict[uuid.UUID, list[ShippingOption]] = {}
        for seller_id in seller_ids:
            own = [method for method in active if method.seller_id == seller_id]
            if not own and not platform_configured:
                options[seller_id] = [BUILT_IN_STANDARD]
                continue
            source = own or [method for method in active if method.seller_id is None]
            options[seller_id] = sorted(
                (offered[method.id] for method in source if method.id in offered),
                key=lambda option: (
                    option.price,
                    option.max_days,
                    option.name,
                    str(option.method_id),
                ),
            )
        return options


def _price_to(
    rates: Iterable[ShippingRate], zones: Mapping[uuid.UUID, ShippingZone], country_code: str
) -> int | None:
    """The method's price to the country: the rate of the most specific zone holding it
    (one listing the country beats an 'everywhere' zone), the cheaper of two as specific."""
    best: tuple[int, int] | None = None  # (-specificity, price)
    for rate in rates:
        codes = zones[rate.zone_id].country_codes
        if codes and country_code not in codes:
            continue
        candidate = (-1 if codes else 0, rate.price)
        if best is None or candidate < best:
            best = candidate
    return None if best is None else best[1]


def _option(method: ShippingMethod, price: int) -> ShippingOption:
    return ShippingOption(
        method_id=method.id,
        name=method.name,
        price=price,
        free_above=method.free_above,
        min_days=method.min_days,
        max_days=method.max_days,
    )


shipping = ShippingService()
