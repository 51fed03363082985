"""Checkout's pricing: the cart re-priced once with the rules as they are, compared with
the quote the customer was shown (PRICE_CHANGED naming what changed), then the cart's
vouchers reserved and the breakdown CheckoutRequested carries.

Everything here runs before the checkout's transaction writes anything but the voucher
holds, and a refusal raises: the unit of work rolls back whatever was written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts import events
from domains.carts.config import CartsConfig
from domains.carts.errors import CartErrorCode
from domains.carts.events import CheckoutPricing, ShippingAddress
from domains.carts.models import Cart, CartLine, VariantOffer
from domains.carts.pricing import quote_token
from domains.carts.pricing.money import price
from domains.carts.pricing.quote import (
    CartNotPriceable,
    Quote,
    ShippingChoice,
    build_quote,
)
from domains.carts.pricing.quote_token import Change, ChangeKind, InvalidQuoteToken
from domains.carts.pricing.tax_choice import tax_provider_for
from domains.carts.pricing.tax_provider import Destination, TaxProvider
from domains.carts.pricing.vouchers import service as vouchers
from domains.kit.errors import FieldError, InputErrors

Code = CartErrorCode


class PriceChanged(InputErrors):
    """The quote shown differs from the cart's price now: `changes` says how."""

    def __init__(self, changes: Sequence[Change]) -> None:
        summary = "; ".join(change.message for change in changes[:5])
        super().__init__(
            FieldError(
                "quoteToken",
                Code.PRICE_CHANGED,
                f"The price changed since it was shown ({summary}): review it and retry.",
            )
        )
        self.changes = list(changes)


@dataclass(frozen=True)
class PricingChoices:
    """What checkoutComplete was told about pricing: a shipping method per seller's
    parcel (the cheapest where none), and the token of the quote shown, if any."""

    shipping: Sequence[ShippingChoice] = ()
    quote_token: str | None = None


def _shown(token: str, cart_id: uuid.UUID, key: str) -> quote_token.QuoteComponents:
    try:
        shown = quote_token.decode(token, key)
    except InvalidQuoteToken:
        raise InputErrors.single(
            "quoteToken", Code.INVALID, "This is not a quote token this shop issued."
        ) from None
    if shown.cart_id != cart_id:
        raise InputErrors.single("quoteToken", Code.INVALID, "This quote is another cart's.")
    return shown


async def quote_checkout(
    session: AsyncSession,
    cart: Cart,
    lines: Sequence[CartLine],
    offers: Mapping[uuid.UUID, VariantOffer],
    address: ShippingAddress,
    choices: PricingChoices,
    tax: TaxProvider,
    quote_key: str,
) -> Quote | None:
    """The cart's quote now, refused (PriceChanged) when it differs from the token's.

    None when some line cannot be priced yet (carts has not heard of its price, product
    or seller): the order is then priced as before pricing existed, unless the customer
    was shown a quote, or applied a voucher, which such a checkout could not honour.
    """
    shown = None if choices.quote_token is None else _shown(choices.quote_token, cart.id, quote_key)
    destination = Destination(
        country_code=address.country_code,
        country_area=address.country_area,
        postal_code=address.postal_code,
    )
    try:
        quote = await build_quote(
            session,
            cart,
            lines,
            offers,
            destination,
            choices.shipping,
            tax,
            address_field="shippingAddress",
        )
    except CartNotPriceable as unpriced:
        if shown is not None:
            raise PriceChanged(
                [
                    Change(
                        ChangeKind.LINE_PRICE,
                        str(variant_id),
                        shown.lines[variant_id].unit_price if variant_id in shown.lines else None,
                        None,
                        f"The price of variant {variant_id} is not known at the moment.",
                    )
                    for variant_id in unpriced.variant_ids
                ]
            ) from unpriced
        if await vouchers.terms_for_cart(session, cart.id, now=_now()):
            raise InputErrors.single(
                "cartId",
                Code.INVALID,
                "Some lines cannot be priced yet, so the cart's vouchers cannot apply: "
                "retry in a moment.",
            ) from unpriced
        return None
    if shown is not None:
        changes = quote_token.changes_between(shown, quote.components)
        if changes:
            raise PriceChanged(changes)
    return quote


def _now() -> datetime:
    return datetime.now(UTC)


async def reserve_and_price(
    session: AsyncSession,
    quote: Quote,
    *,
    customer_id: uuid.UUID,
    checkout_id: uuid.UUID,
    order_id: uuid.UUID,
) -> CheckoutPricing:
    """Hold a use of each voucher of the cart for the order (a refusal raises, naming the
    voucher) and the breakdown to publish: the quote's, or the quote re-priced with the
    vouchers as locked when their terms changed in between."""
    if not quote.cart_has_vouchers:
        return quote.pricing
    terms = await vouchers.reserve(
        session,
        cart_id=quote.cart_id,
        customer_id=customer_id,
        checkout_id=checkout_id,
        order_id=order_id,
        items=quote.items,
        now=_now(),
        currency=quote.pricing.currency,
    )
    if terms == quote.vouchers:
        return quote.pricing
    return price(quote.items, terms, quote.choices, quote.rates, quote.pricing.currency)


def checkout_lines(
    lines: Sequence[CartLine],
    offers: Mapping[uuid.UUID, VariantOffer],
    pricing: CheckoutPricing | None,
) -> list[events.CheckoutLine]:
    """The lines CheckoutRequested carries, each expected at the price it was quoted at
    (after its promotion), or at the offer's price when the cart could not be priced."""
    priced = {line.variant_id: line.unit_price for line in pricing.lines} if pricing else {}
    checkout = []
    for line in lines:
        offer = offers.get(line.variant_id)
        expected = priced.get(line.variant_id, offer.price_amount if offer else None)
        currency = pricing.currency if pricing else (offer.currency if offer else None)
        checkout.append(
            events.CheckoutLine(
                variant_id=line.variant_id,
                quantity=line.quantity,
                expected_unit_price=expected,
                expected_currency=currency,
            )
        )
    return checkout


@dataclass(frozen=True)
class CheckoutPricer:
    """How one checkoutComplete prices its cart: the customer's choices, the key quote
    tokens are signed with, and the tax provider for the transaction's session."""

    choices: PricingChoices
    quote_key: str
    tax: Callable[[AsyncSession], TaxProvider]

    @classmethod
    def configured(
        cls, config: CartsConfig, choices: PricingChoices, stripe_api_key: str | None = None
    ) -> CheckoutPricer:
        return cls(
            choices=choices,
            quote_key=config.quote_key,
            tax=lambda session: tax_provider_for(session, config, stripe_api_key),
        )

    async def quote(
        self,
        session: AsyncSession,
        cart: Cart,
        lines: Sequence[CartLine],
        offers: Mapping[uuid.UUID, VariantOffer],
        address: ShippingAddress,
    ) -> Quote | None:
        return await quote_checkout(
            session, cart, lines, offers, address, self.choices, self.tax(session), self.quote_key
        )

    async def reserve(
        self,
        session: AsyncSession,
        quote: Quote | None,
        *,
        customer_id: uuid.UUID,
        checkout_id: uuid.UUID,
        order_id: uuid.UUID,
    ) -> CheckoutPricing | None:
        if quote is None:
            return None
        return await reserve_and_price(
            session, quote, customer_id=customer_id, checkout_id=checkout_id, order_id=order_id
        )

    def lines(
        self,
        lines: Sequence[CartLine],
        offers: Mapping[uuid.UUID, VariantOffer],
        pricing: CheckoutPricing | None,
    ) -> list[events.CheckoutLine]:
        return checkout_lines(lines, offers, pricing)
