"""Tax rules administration (staff only): each country's settings and the rules that
override its standard rate by region, by category, or both."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.errors import CartErrorCode
from domains.carts.pricing.tax.models import (
    MAX_RATE,
    MAX_REGION_LENGTH,
    MAX_RULE_NAME_LENGTH,
    TaxCountry,
    TaxRule,
)
from domains.carts.pricing.tax.repository import tax_country_repository, tax_rule_repository
from domains.kit.auth import Viewer
from domains.kit.countries import normalize_country_code
from domains.kit.errors import FieldError, InputErrors, parse_uuid, quoted

Code = CartErrorCode

STAFF_ONLY = "Only staff manage tax rules."
_REGION = re.compile(rf"^[A-Z0-9][A-Z0-9-]{{0,{MAX_REGION_LENGTH - 1}}}$")


def normalize_region(raw: str, country_code: str) -> str:
    """A region code as rules store it: upper-cased, without the country's ISO 3166-2
    prefix ('us-ca' and 'CA' are both 'CA' in US); '' is the whole country."""
    region = raw.strip().upper()
    prefix = f"{country_code}-"
    return region[len(prefix) :] if region.startswith(prefix) else region


@dataclass(frozen=True)
class TaxCountryInput:
    country_code: str
    prices_include_tax: bool
    tax_shipping: bool
    standard_rate: int


@dataclass(frozen=True)
class TaxRuleInput:
    country_code: str
    rate: int
    name: str
    region_code: str = ""
    category_id: str | None = None


@dataclass(frozen=True)
class TaxRuleUpdate:
    rate: int | None = None
    name: str | None = None


def _country(raw: str, errors: list[FieldError]) -> str:
    code = normalize_country_code(raw)
    if code is None:
        errors.append(
            FieldError(
                "countryCode",
                Code.INVALID,
                f"{quoted(raw)} is not an ISO 3166-1 alpha-2 country code.",
            )
        )
        return ""
    return code


def _rate(value: int, field: str, errors: list[FieldError]) -> None:
    if not 0 <= value <= MAX_RATE:
        errors.append(
            FieldError(
                field, Code.INVALID, f"A rate is 0 to {MAX_RATE} basis points (2000 = 20 %)."
            )
        )


def _name(raw: str, errors: list[FieldError]) -> str:
    name = raw.strip()
    if not name:
        errors.append(FieldError("name", Code.REQUIRED, "A name is required."))
    elif len(name) > MAX_RULE_NAME_LENGTH:
        errors.append(
            FieldError(
                "name", Code.INVALID, f"A name is at most {MAX_RULE_NAME_LENGTH} characters."
            )
        )
    return name


class TaxRulesService:
    async def set_country(
        self, session: AsyncSession, viewer: Viewer, data: TaxCountryInput
    ) -> TaxCountry:
        viewer.require_staff(STAFF_ONLY)
        errors: list[FieldError] = []
        code = _country(data.country_code, errors)
        _rate(data.standard_rate, "standardRate", errors)
        if errors:
            raise InputErrors(*errors)
        return await tax_country_repository.put(
            session,
            code,
            prices_include_tax=data.prices_include_tax,
            tax_shipping=data.tax_shipping,
            standard_rate=data.standard_rate,
        )

    async def create_rule(
        self, session: AsyncSession, viewer: Viewer, data: TaxRuleInput
    ) -> TaxRule:
        viewer.require_staff(STAFF_ONLY)
        errors: list[FieldError] = []
        code = _country(data.country_code, errors)
        region = normalize_region(data.region_code, code)
        if region and not _REGION.match(region):
            errors.append(
                FieldError(
                    "regionCode",
                    Code.INVALID,
                    f"A region code is up to {MAX_REGION_LENGTH} letters, digits and hyphens "
                    f"(got {quoted(data.region_code)}).",
                )
            )
        category_id: uuid.UUID | None = None
        if data.category_id is not None:
            try:
                category_id = parse_uuid(data.category_id, "categoryId", Code.INVALID)
            except InputErrors as error:
                errors.extend(error.errors)
        _rate(data.rate, "rate", errors)
        name = _name(data.name, errors)
        if errors:
            raise InputErrors(*errors)
        if await tax_country_repository.get(session, code) is None:
            raise InputErrors.single(
                "countryCode",
                Code.NOT_FOUND,
                f"{code} has no tax settings yet: set them first (taxCountrySet).",
            )
        if await tax_rule_repository.find(session, code, region, category_id) is not None:
            raise InputErrors.single(
                None,
                Code.ALREADY_EXISTS,
                "A rule for this country, region and category exists: update it instead.",
            )
        return await tax_rule_repository.add(
            session,
            TaxRule(
                country_code=code,
                region_code=region,
                category_id=category_id,
                rate=data.rate,
                name=name,
            ),
        )

    async def _rule_to_change(self, session: AsyncSession, viewer: Viewer, raw_id: str) -> TaxRule:
        viewer.require_staff(STAFF_ONLY)
        rule = await tax_rule_repository.get_for_update(
            session, parse_uuid(raw_id, "id", Code.INVALID)
        )
        if rule is None:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such tax rule.")
        return rule

    async def update_rule(
        self, session: AsyncSession, viewer: Viewer, raw_id: str, data: TaxRuleUpdate
    ) -> TaxRule:
        rule = await self._rule_to_change(session, viewer, raw_id)
        errors: list[FieldError] = []
        if data.rate is not None:
            _rate(data.rate, "rate", errors)
        name = None if data.name is None else _name(data.name, errors)
        if errors:
            raise InputErrors(*errors)
        if data.rate is not None:
            rule.rate = data.rate
        if name is not None:
            rule.name = name
        await session.flush()
        return rule

    async def delete_rule(self, session: AsyncSession, viewer: Viewer, raw_id: str) -> TaxRule:
        rule = await self._rule_to_change(session, viewer, raw_id)
        await tax_rule_repository.delete(session, rule)
        return rule

    async def countries(self, session: AsyncSession, viewer: Viewer) -> list[TaxCountry]:
        viewer.require_staff(STAFF_ONLY)
        return await tax_country_repository.listed(session)

    async def rules(
        self, session: AsyncSession, viewer: Viewer, country_code: str | None
    ) -> list[TaxRule]:
        viewer.require_staff(STAFF_ONLY)
        code = None
        if country_code is not None:
            errors: list[FieldError] = []
            code = _country(country_code, errors)
            if errors:
                raise InputErrors(*errors)
        return await tax_rule_repository.listed(session, code)


tax_rules = TaxRulesService()
