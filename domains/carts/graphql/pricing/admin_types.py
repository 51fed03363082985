"""GraphQL types of shipping and tax administration: zones, methods with their rates,
tax countries and rules, and the payloads of their mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domains.carts.graphql.types import CartError, cart_errors
from domains.carts.pricing.shipping import models as shipping_models
from domains.carts.pricing.shipping.service import MethodWithRates
from domains.carts.pricing.tax import models as tax_models
from domains.kit.graphql.payloads import ChangePayload


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="A set of countries shipping rates apply to.")
class ShippingZone:
    id: strawberry.ID
    seller_id: strawberry.ID | None = strawberry.field(
        description="The seller profile owning it; null: the platform's."
    )
    name: str
    country_codes: list[str] = strawberry.field(description="Empty: everywhere.")

    @classmethod
    def from_model(cls, zone: shipping_models.ShippingZone) -> ShippingZone:
        return cls(
            id=_id(zone.id),
            seller_id=None if zone.seller_id is None else _id(zone.seller_id),
            name=zone.name,
            country_codes=list(zone.country_codes),
        )


@strawberry.type(description="What a method costs in a zone.")
class ShippingRate:
    zone: ShippingZone
    price: int = strawberry.field(description="Minor units.")


@strawberry.type(description="A way of sending a parcel: a seller's, or the platform's.")
class ShippingMethod:
    id: strawberry.ID
    seller_id: strawberry.ID | None = strawberry.field(
        description="The seller profile owning it; null: the platform's, offered to every "
        "seller with no active method of their own."
    )
    name: str
    min_days: int
    max_days: int
    free_above: int | None
    currency: str | None = strawberry.field(description="Null: offered in any currency.")
    ended_at: datetime | None = strawberry.field(description="Set: no longer offered.")
    rates: list[ShippingRate]

    @classmethod
    def from_model(cls, found: MethodWithRates) -> ShippingMethod:
        method = found.method
        return cls(
            id=_id(method.id),
            seller_id=None if method.seller_id is None else _id(method.seller_id),
            name=method.name,
            min_days=method.min_days,
            max_days=method.max_days,
            free_above=method.free_above,
            currency=method.currency,
            ended_at=method.ended_at,
            rates=[
                ShippingRate(zone=ShippingZone.from_model(zone), price=rate.price)
                for rate, zone in found.rates
            ],
        )


@strawberry.type(description="How a destination country taxes.")
class TaxCountry:
    country_code: str
    prices_include_tax: bool
    tax_shipping: bool
    standard_rate: int = strawberry.field(description="Basis points: 2000 = 20 %.")

    @classmethod
    def from_model(cls, row: tax_models.TaxCountry) -> TaxCountry:
        return cls(
            country_code=row.country_code,
            prices_include_tax=row.prices_include_tax,
            tax_shipping=row.tax_shipping,
            standard_rate=row.standard_rate,
        )


@strawberry.type(
    description="A rate replacing a country's standard one, for a region, a category or "
    "both; the most specific rule of a line wins."
)
class TaxRule:
    id: strawberry.ID
    country_code: str
    region_code: str = strawberry.field(description="Empty: the whole country.")
    category_id: strawberry.ID | None = strawberry.field(description="Null: every category.")
    rate: int = strawberry.field(description="Basis points.")
    name: str

    @classmethod
    def from_model(cls, row: tax_models.TaxRule) -> TaxRule:
        return cls(
            id=_id(row.id),
            country_code=row.country_code,
            region_code=row.region_code,
            category_id=None if row.category_id is None else _id(row.category_id),
            rate=row.rate,
            name=row.name,
        )


@strawberry.type
class ShippingZonePayload(ChangePayload, node=ShippingZone.from_model, errors=cart_errors):
    zone: ShippingZone | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


@strawberry.type
class ShippingZoneDeletePayload(ChangePayload, node=lambda zone: _id(zone.id), errors=cart_errors):
    deleted_id: strawberry.ID | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


@strawberry.type
class ShippingMethodPayload(ChangePayload, node=ShippingMethod.from_model, errors=cart_errors):
    method: ShippingMethod | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


@strawberry.type
class TaxCountryPayload(ChangePayload, node=TaxCountry.from_model, errors=cart_errors):
    country: TaxCountry | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


@strawberry.type
class TaxRulePayload(ChangePayload, node=TaxRule.from_model, errors=cart_errors):
    rule: TaxRule | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


@strawberry.type
class TaxRuleDeletePayload(ChangePayload, node=lambda rule: _id(rule.id), errors=cart_errors):
    deleted_id: strawberry.ID | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)
