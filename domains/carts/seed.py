"""The carts domain's demo data: vouchers, shipping methods in two zones and tax rules
for several countries. Carts themselves are made by shoppers.

Ids are uuid5s (`seed_id`), inserted unless present, so seeding twice changes nothing.
The platform offers express shipping to Europe and the United States beside the
migration's standard shipping everywhere; the first seeded seller ships their own parcels
(free above 50.00). Tax: EU countries inclusive with reduced rates on stationery, the
United States exclusive with state rates. Vouchers: WELCOME10 (10 % off an order, once
per customer, on top of sales), SAVE5 (5.00 off 50.00 or more of goods not on sale, alone,
the first 1,000 uses) and the first seller's SHOP15 (15 % off their own lines).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.pricing.shipping.models import ShippingMethod, ShippingRate, ShippingZone
from domains.carts.pricing.tax.models import TaxCountry, TaxRule
from domains.carts.pricing.vouchers.models import Voucher
from domains.kit.seeding import SeedOptions, seed_id

EUROPE = ["AT", "BE", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "NL", "PL", "PT", "SE"]
# The products seed's top category "Stationery" (seed_id("category", its slug)).
STATIONERY = seed_id("category", "stationery")

Row = dict[str, Any]
# key, name, min days, max days, free above, currency
MethodSpec = tuple[str, str, int, int, int | None, str | None]


_PLATFORM_ZONES = [
    # key, name, countries
    ("europe", "Europe", EUROPE),
    ("us", "United States", ["US"]),
]
_SELLER_ZONES = [("seller-0-domestic", "Domestic", ["US"]), ("seller-0-world", "Worldwide", [])]
_PLATFORM_METHODS: list[MethodSpec] = [
    # key, name, min days, max days, free above, currency
    ("express", "Express", 1, 2, None, None),
]
_SELLER_METHODS: list[MethodSpec] = [
    ("seller-0-tracked", "Tracked parcel", 2, 10, 5000, "USD"),
    ("seller-0-courier", "Courier", 1, 3, None, "USD"),
]
_RATES = [
    # method, zone, price
    ("express", "europe", 1500),
    ("express", "us", 1200),
    ("seller-0-tracked", "seller-0-domestic", 450),
    ("seller-0-tracked", "seller-0-world", 1800),
    ("seller-0-courier", "seller-0-domestic", 1100),
]


def _zones(seller: uuid.UUID | None, zones: Sequence[tuple[str, str, list[str]]]) -> list[Row]:
    return [
        {"id": seed_id("shipping-zone", key), "seller_id": seller, "name": name,
         "country_codes": codes}
        for key, name, codes in zones
    ]  # fmt: skip


def _methods(seller: uuid.UUID | None, methods: Sequence[MethodSpec]) -> list[Row]:
    return [
        {"id": seed_id("shipping-method", key), "seller_id": seller, "name": name,
         "min_days": fastest, "max_days": slowest, "free_above": free_above,
         "currency": currency}
        for key, name, fastest, slowest, free_above, currency in methods
    ]  # fmt: skip


def _rates(method_keys: set[str]) -> list[Row]:
    return [
        {"method_id": seed_id("shipping-method", method),
         "zone_id": seed_id("shipping-zone", zone), "price": price}
        for method, zone, price in _RATES
        if method in method_keys
    ]  # fmt: skip


_COUNTRIES = [
    # country, prices include tax, shipping taxed, standard rate (basis points)
    ("DE", True, True, 1900),
    ("FR", True, True, 2000),
    ("GB", True, True, 2000),
    ("NL", True, True, 2100),
    ("US", False, False, 0),
]
_RULES = [
    # country, region, category, rate, name
    ("DE", "", STATIONERY, 700, "Reduced rate (stationery)"),
    ("FR", "", STATIONERY, 550, "Taux réduit (papeterie)"),
    ("US", "CA", None, 725, "California sales tax"),
    ("US", "NY", None, 400, "New York sales tax"),
    ("US", "TX", None, 625, "Texas sales tax"),
]


# code, name, kind, value, scope, min subtotal, currency, usage limit, per customer,
# combinable; the seller's own code is added when sellers are seeded.
VoucherSpec = tuple[str, str, str, int, str, int, str | None, int | None, int | None, bool]
_PLATFORM_VOUCHERS: list[VoucherSpec] = [
    ("WELCOME10", "Welcome, 10 % off", "PERCENTAGE", 1000, "ORDER", 0, None, None, 1, True),
    ("SAVE5", "5.00 off 50.00", "FIXED", 500, "ORDER", 5000, "USD", 1000, None, False),
]
_SELLER_VOUCHER: VoucherSpec = (
    "SHOP15",
    "15 % off this shop",
    "PERCENTAGE",
    1500,
    "SELLER",
    0,
    None,
    None,
    None,
    True,
)


def _vouchers(first_seller: uuid.UUID | None) -> list[Row]:
    specs: list[tuple[VoucherSpec, uuid.UUID | None]] = [
        (spec, None) for spec in _PLATFORM_VOUCHERS
    ]
    if first_seller is not None:
        specs.append((_SELLER_VOUCHER, first_seller))
    return [
        {"id": seed_id("voucher", code), "code": code, "name": name, "kind": kind,
         "value": value, "scope": scope, "seller_id": seller, "min_subtotal": minimum,
         "currency": currency, "usage_limit": limit, "per_customer_limit": per_customer,
         "combinable": combinable}
        for (code, name, kind, value, scope, minimum, currency, limit, per_customer,
             combinable), seller in specs
    ]  # fmt: skip


async def _insert(session: AsyncSession, model: Any, rows: list[Row]) -> int:
    result = await session.execute(
        insert(model).values(rows).on_conflict_do_nothing().returning(*model.__table__.primary_key)
    )
    return len(result.all())


async def seed(session: AsyncSession, options: SeedOptions) -> dict[str, int]:
    zones = _zones(None, _PLATFORM_ZONES)
    methods = _methods(None, _PLATFORM_METHODS)
    if options.sellers > 0:
        first_seller = seed_id("seller", 0)
        zones += _zones(first_seller, _SELLER_ZONES)
        methods += _methods(first_seller, _SELLER_METHODS)
    first_seller_id = seed_id("seller", 0) if options.sellers > 0 else None
    keys = {key for key, *_ in _PLATFORM_METHODS + (_SELLER_METHODS if options.sellers else [])}
    countries = [
        {"country_code": code, "prices_include_tax": inclusive, "tax_shipping": shipping,
         "standard_rate": rate}
        for code, inclusive, shipping, rate in _COUNTRIES
    ]  # fmt: skip
    rules = [
        {"id": seed_id("tax-rule", f"{code}-{region}-{category}"), "country_code": code,
         "region_code": region, "category_id": category, "rate": rate, "name": name}
        for code, region, category, rate, name in _RULES
    ]  # fmt: skip
    return {
        "shipping_zones": await _insert(session, ShippingZone, zones),
        "shipping_methods": await _insert(session, ShippingMethod, methods),
        "shipping_rates": await _insert(session, ShippingRate, _rates(keys)),
        "tax_countries": await _insert(session, TaxCountry, countries),
        "tax_rules": await _insert(session, TaxRule, rules),
        "vouchers": await _insert(session, Voucher, _vouchers(first_seller_id)),
    }
