"""Root queries of shipping and tax administration."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.pricing.admin_types import (
    ShippingMethod,
    ShippingZone,
    TaxCountry,
    TaxRule,
)
from domains.carts.graphql.types import CartsInfo
from domains.carts.pricing.shipping.service import shipping
from domains.carts.pricing.tax.service import tax_rules
from domains.kit.db import read_session


@strawberry.type
class PricingQuery:
    @strawberry.field(
        description="Shipping methods with their rates: a seller's own; for staff, every "
        "seller's and the platform's (sellerId null). Ended ones too."
    )
    async def shipping_methods(self, info: CartsInfo) -> list[ShippingMethod]:
        viewer = info.context.viewer
        async with read_session(info.context.resources.read_session_factory) as session:
            found = await shipping.methods(session, viewer)
        return [ShippingMethod.from_model(method) for method in found]

    @strawberry.field(
        description="Shipping zones: a seller's own; for staff, every seller's and the platform's."
    )
    async def shipping_zones(self, info: CartsInfo) -> list[ShippingZone]:
        viewer = info.context.viewer
        async with read_session(info.context.resources.read_session_factory) as session:
            zones = await shipping.zones(session, viewer)
        return [ShippingZone.from_model(zone) for zone in zones]

    @strawberry.field(description="Staff: every country's tax settings.")
    async def tax_countries(self, info: CartsInfo) -> list[TaxCountry]:
        viewer = info.context.viewer
        async with read_session(info.context.resources.read_session_factory) as session:
            rows = await tax_rules.countries(session, viewer)
        return [TaxCountry.from_model(row) for row in rows]

    @strawberry.field(description="Staff: the tax rules, of one country when given.")
    async def tax_rules(self, info: CartsInfo, country_code: str | None = None) -> list[TaxRule]:
        viewer = info.context.viewer
        async with read_session(info.context.resources.read_session_factory) as session:
            rows = await tax_rules.rules(session, viewer, country_code)
        return [TaxRule.from_model(row) for row in rows]
