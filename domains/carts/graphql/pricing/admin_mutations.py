"""The resolvers of shipping and tax administration, one per mutation: each runs its
service's change in one unit of work and answers its payload (nothing written on error).

Kept together: each is three lines, and the rules they enforce live in the services
(pricing/shipping/service.py, pricing/tax/service.py).
"""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.graphql.pricing.admin_types import (
    ShippingMethodPayload,
    ShippingZoneDeletePayload,
    ShippingZonePayload,
    TaxCountryPayload,
    TaxRuleDeletePayload,
    TaxRulePayload,
)
from domains.carts.graphql.pricing.inputs import (
    ShippingMethodCreateInput,
    ShippingMethodUpdateInput,
    ShippingZoneCreateInput,
    ShippingZoneUpdateInput,
    TaxCountrySetInput,
    TaxRuleCreateInput,
    TaxRuleUpdateInput,
)
from domains.carts.graphql.types import CartsInfo
from domains.carts.pricing.shipping.models import ShippingMethod
from domains.carts.pricing.shipping.service import MethodWithRates, shipping
from domains.carts.pricing.tax.service import tax_rules


async def _with_rates(session: AsyncSession, method: ShippingMethod) -> MethodWithRates:
    (found,) = await shipping.with_rates(session, [method])
    return found


async def shipping_zone_create(
    info: CartsInfo, input: ShippingZoneCreateInput
) -> ShippingZonePayload:
    viewer = info.context.viewer
    return await ShippingZonePayload.of_change(
        info, lambda session: shipping.create_zone(session, viewer, input.to_service())
    )


async def shipping_zone_update(
    info: CartsInfo, id: strawberry.ID, input: ShippingZoneUpdateInput
) -> ShippingZonePayload:
    viewer = info.context.viewer
    return await ShippingZonePayload.of_change(
        info, lambda session: shipping.update_zone(session, viewer, id, input.to_service())
    )


async def shipping_zone_delete(info: CartsInfo, id: strawberry.ID) -> ShippingZoneDeletePayload:
    viewer = info.context.viewer
    return await ShippingZoneDeletePayload.of_change(
        info, lambda session: shipping.delete_zone(session, viewer, id)
    )


async def shipping_method_create(
    info: CartsInfo, input: ShippingMethodCreateInput
) -> ShippingMethodPayload:
    viewer = info.context.viewer

    async def change(session: AsyncSession) -> MethodWithRates:
        method = await shipping.create_method(session, viewer, input.to_service())
        return await _with_rates(session, method)

    return await ShippingMethodPayload.of_change(info, change)


async def shipping_method_update(
    info: CartsInfo, id: strawberry.ID, input: ShippingMethodUpdateInput
) -> ShippingMethodPayload:
    viewer = info.context.viewer

    async def change(session: AsyncSession) -> MethodWithRates:
        method = await shipping.update_method(session, viewer, id, input.to_service())
        return await _with_rates(session, method)

    return await ShippingMethodPayload.of_change(info, change)


async def shipping_method_end(info: CartsInfo, id: strawberry.ID) -> ShippingMethodPayload:
    viewer = info.context.viewer

    async def change(session: AsyncSession) -> MethodWithRates:
        return await _with_rates(session, await shipping.end_method(session, viewer, id))

    return await ShippingMethodPayload.of_change(info, change)


async def tax_country_set(info: CartsInfo, input: TaxCountrySetInput) -> TaxCountryPayload:
    viewer = info.context.viewer
    return await TaxCountryPayload.of_change(
        info, lambda session: tax_rules.set_country(session, viewer, input.to_service())
    )


async def tax_rule_create(info: CartsInfo, input: TaxRuleCreateInput) -> TaxRulePayload:
    viewer = info.context.viewer
    return await TaxRulePayload.of_change(
        info, lambda session: tax_rules.create_rule(session, viewer, input.to_service())
    )


async def tax_rule_update(
    info: CartsInfo, id: strawberry.ID, input: TaxRuleUpdateInput
) -> TaxRulePayload:
    viewer = info.context.viewer
    return await TaxRulePayload.of_change(
        info, lambda session: tax_rules.update_rule(session, viewer, id, input.to_service())
    )


async def tax_rule_delete(info: CartsInfo, id: strawberry.ID) -> TaxRuleDeletePayload:
    viewer = info.context.viewer
    return await TaxRuleDeletePayload.of_change(
        info, lambda session: tax_rules.delete_rule(session, viewer, id)
    )
