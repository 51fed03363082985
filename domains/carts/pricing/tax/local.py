"""LocalTaxProvider: the TaxProvider answering from carts' own rules tables.

Per line, the most specific rule wins: (country, region, category) over (country, whole
country, category) over (country, region, any category) over the country's standard
rate. A line matches a category rule when the rule's category is among the line's
category ids (its product's category and that category's ancestors); two matching at
the same level give the lower rate. Shipping is taxed, when the country says so, at the
region's general rate or else the standard one. A country without settings taxes
nothing, prices exclusive of tax.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.pricing.money import CartItem, TaxRates
from domains.carts.pricing.tax.models import TaxCountry, TaxRule
from domains.carts.pricing.tax.repository import tax_country_repository
from domains.carts.pricing.tax.service import normalize_region
from domains.carts.pricing.tax_provider import Destination


def _lowest(rules: Sequence[TaxRule]) -> int | None:
    return min((rule.rate for rule in rules), default=None)


def resolve_rates(
    country: TaxCountry | None, rules: Sequence[TaxRule], region: str, items: Sequence[CartItem]
) -> TaxRates:
    """The rates for these lines sent to `region` of `country` (rules: the country's)."""
    if country is None:
        return TaxRates(
            tax_included=False, line_rates={item.variant_id: 0 for item in items}, shipping_rate=0
        )
    in_region = [rule for rule in rules if region and rule.region_code == region]
    countrywide = [rule for rule in rules if rule.region_code == ""]
    region_general = _lowest([rule for rule in in_region if rule.category_id is None])
    general = country.standard_rate if region_general is None else region_general

    def rate_of(item: CartItem) -> int:
        for level in (in_region, countrywide):
            matching = [
                rule
                for rule in level
                if rule.category_id is not None and rule.category_id in item.category_ids
            ]
            if matching:
                return min(rule.rate for rule in matching)
        return general

    return TaxRates(
        tax_included=country.prices_include_tax,
        line_rates={item.variant_id: rate_of(item) for item in items},
        shipping_rate=general if country.tax_shipping else 0,
    )


class LocalTaxProvider:
    """Rates from the tax_countries and tax_rules tables: one statement per quote."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def rates(
        self,
        destination: Destination,
        items: Sequence[CartItem],
        shipping: Mapping[uuid.UUID, int],
        currency: str,
    ) -> TaxRates:
        """The rates by the rules (shipping amounts and currency do not change them)."""
        code = destination.country_code
        country, rules = await tax_country_repository.with_rules(self._session, code)
        if country is None:
            return resolve_rates(None, [], "", items)
        region = normalize_region(destination.country_area, code)
        return resolve_rates(country, rules, region, items)
