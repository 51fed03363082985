"""Cart.pricing: the cart quoted for an address and the shipping chosen per parcel."""

from __future__ import annotations

import uuid

from strawberry.types import Info

from domains.carts.config import CartsConfig
from domains.carts.errors import CartErrorCode
from domains.carts.graphql.loaders import CartLoaders
from domains.carts.graphql.pricing.inputs import (
    ParcelShippingChoiceInput,
    PricingAddressInput,
    shipping_choices,
)
from domains.carts.graphql.pricing.quote_types import CartPricing
from domains.carts.pricing.quote import CartNotPriceable, build_quote, clean_destination
from domains.carts.pricing.tax_choice import tax_provider_for
from domains.carts.repository import offer_repository
from domains.kit.db import read_session
from domains.kit.errors import InputErrors
from domains.kit.graphql.context import RequestContext


async def cart_pricing(
    info: Info[RequestContext[CartLoaders], None],
    cart_id: uuid.UUID,
    address: PricingAddressInput,
    shipping: list[ParcelShippingChoiceInput] | None,
) -> CartPricing | None:
    """The quote, or null for an empty cart; a line carts cannot price yet, a bad address
    or a choice that does not fit is an error naming the argument."""
    destination = clean_destination(
        address.country_code, address.country_area, address.postal_code, field="address"
    )
    cart = await info.context.loaders.cart_by_id.load(cart_id)
    lines = await info.context.loaders.lines_by_cart_id.load(cart_id)
    if cart is None or not lines:
        return None
    config = CartsConfig.from_env()
    resources = info.context.resources
    async with read_session(resources.read_session_factory) as session:
        offers = await offer_repository.get_many(session, [line.variant_id for line in lines])
        try:
            quote = await build_quote(
                session,
                cart,
                lines,
                offers,
                destination,
                shipping_choices(shipping),
                tax_provider_for(session, config, resources.settings.stripe_api_key),
            )
        except CartNotPriceable as unpriced:
            raise InputErrors.single(
                None,
                CartErrorCode.VARIANT_UNAVAILABLE,
                f"The price of {len(unpriced.variant_ids)} line(s) is not known yet "
                f"(variants {', '.join(map(str, unpriced.variant_ids))}): retry in a moment.",
            ) from unpriced
    return CartPricing.of(quote, quote.token(config.quote_key))
