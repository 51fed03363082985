"""Inputs of pricing: the address a cart is priced for, a shipping choice per parcel,
and the shipping and tax administration's inputs."""

from __future__ import annotations

import strawberry

from domains.carts.pricing.quote import ShippingChoice
from domains.carts.pricing.shipping.service import (
    KEEP,
    MethodInput,
    MethodUpdate,
    RateInput,
    ZoneInput,
    ZoneUpdate,
)
from domains.carts.pricing.tax import service as tax


@strawberry.input(description="Where the cart would be sent: what shipping and tax depend on.")
class PricingAddressInput:
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    country_area: str = strawberry.field(
        default="", description="The region, such as a US state (CA or US-CA)."
    )
    postal_code: str = ""


@strawberry.input(description="The shipping method chosen for one seller's parcel.")
class ParcelShippingChoiceInput:
    seller_id: strawberry.ID
    method_id: strawberry.ID = strawberry.field(
        description="One of the parcel's options (`CartPricing.parcels.options.methodId`)."
    )

    def to_service(self) -> ShippingChoice:
        return ShippingChoice(seller_id=str(self.seller_id), method_id=str(self.method_id))


def shipping_choices(choices: list[ParcelShippingChoiceInput] | None) -> list[ShippingChoice]:
    return [choice.to_service() for choice in choices or []]


@strawberry.input(description="A set of countries shipping rates apply to.")
class ShippingZoneCreateInput:
    name: str
    country_codes: list[str] = strawberry.field(
        default_factory=list, description="ISO 3166-1 alpha-2 codes; none: everywhere."
    )

    def to_service(self) -> ZoneInput:
        return ZoneInput(name=self.name, country_codes=self.country_codes)


@strawberry.input(description="What to change in a zone; what is left out stays.")
class ShippingZoneUpdateInput:
    name: str | None = None
    country_codes: list[str] | None = strawberry.field(
        default=None, description="Replaces the zone's countries; an empty list: everywhere."
    )

    def to_service(self) -> ZoneUpdate:
        return ZoneUpdate(name=self.name, country_codes=self.country_codes)


@strawberry.input(description="What a method costs in one zone.")
class ShippingRateInput:
    zone_id: strawberry.ID
    price: int = strawberry.field(description="Minor units.")

    def to_service(self) -> RateInput:
        return RateInput(zone_id=str(self.zone_id), price=self.price)


@strawberry.input(description="A way of sending a parcel, with its rate per zone.")
class ShippingMethodCreateInput:
    name: str
    min_days: int = strawberry.field(description="Delivery estimate: at least, in days.")
    max_days: int = strawberry.field(description="Delivery estimate: at most, in days.")
    rates: list[ShippingRateInput] = strawberry.field(
        description="At least one; a destination takes the rate of the most specific zone "
        "holding it (a zone listing the country beats an 'everywhere' zone)."
    )
    free_above: int | None = strawberry.field(
        default=None,
        description="A parcel whose goods (after discounts) reach this ships free.",
    )
    currency: str | None = strawberry.field(
        default=None,
        description="ISO 4217: offered only to carts in this currency. Null: any currency.",
    )

    def to_service(self) -> MethodInput:
        return MethodInput(
            name=self.name,
            min_days=self.min_days,
            max_days=self.max_days,
            rates=[rate.to_service() for rate in self.rates],
            free_above=self.free_above,
            currency=self.currency,
        )


@strawberry.input(description="What to change in a method; what is left out stays.")
class ShippingMethodUpdateInput:
    name: str | None = None
    min_days: int | None = None
    max_days: int | None = None
    free_above: int | None = strawberry.field(
        default=strawberry.UNSET, description="Null: never free."
    )
    currency: str | None = strawberry.field(default=strawberry.UNSET, description="Null: any.")
    rates: list[ShippingRateInput] | None = strawberry.field(
        default=None, description="Replaces every rate of the method."
    )

    def to_service(self) -> MethodUpdate:
        return MethodUpdate(
            name=self.name,
            min_days=self.min_days,
            max_days=self.max_days,
            free_above=KEEP if self.free_above is strawberry.UNSET else self.free_above,
            currency=KEEP if self.currency is strawberry.UNSET else self.currency,
            rates=None if self.rates is None else [rate.to_service() for rate in self.rates],
        )


@strawberry.input(name="TaxCountryInput", description="How a destination country taxes.")
class TaxCountrySetInput:
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    prices_include_tax: bool = strawberry.field(
        description="True: prices contain the tax (EU style); false: tax is added (US style)."
    )
    tax_shipping: bool = strawberry.field(description="Whether shipping is taxed.")
    standard_rate: int = strawberry.field(description="Basis points: 2000 = 20 %.")

    def to_service(self) -> tax.TaxCountryInput:
        return tax.TaxCountryInput(
            country_code=self.country_code,
            prices_include_tax=self.prices_include_tax,
            tax_shipping=self.tax_shipping,
            standard_rate=self.standard_rate,
        )


@strawberry.input(description="A rate replacing a country's standard rate.")
class TaxRuleCreateInput:
    country_code: str = strawberry.field(
        description="ISO 3166-1 alpha-2; the country's settings must exist (taxCountrySet)."
    )
    rate: int = strawberry.field(description="Basis points: 550 = 5.5 %.")
    name: str
    region_code: str = strawberry.field(
        default="", description="A region such as a US state (CA); empty: the whole country."
    )
    category_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Lines of this category (or one below it); null: every category.",
    )

    def to_service(self) -> tax.TaxRuleInput:
        return tax.TaxRuleInput(
            country_code=self.country_code,
            rate=self.rate,
            name=self.name,
            region_code=self.region_code,
            category_id=None if self.category_id is None else str(self.category_id),
        )


@strawberry.input(description="A rule's new rate or name; what is left out stays.")
class TaxRuleUpdateInput:
    rate: int | None = None
    name: str | None = None

    def to_service(self) -> tax.TaxRuleUpdate:
        return tax.TaxRuleUpdate(rate=self.rate, name=self.name)
