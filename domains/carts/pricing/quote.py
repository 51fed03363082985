"""A cart's price quote: its lines as the engine's items, the vouchers applied to it,
each seller's shipping options for the address (the choice given, or the cheapest), the
tax rates of the configured provider, and the engine's breakdown; plus the signed token
of what was shown, which checkout compares against a fresh quote.

A quote costs a constant number of statements whatever the cart holds: the lines and
offers, the vouchers, three for shipping and the tax provider's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.errors import CartErrorCode
from domains.carts.events import CheckoutPricing
from domains.carts.models import Cart, CartLine, VariantOffer
from domains.carts.pricing import quote_token
from domains.carts.pricing.items import UnpricedLines, items_of
from domains.carts.pricing.money import (
    CartItem,
    ShippingOption,
    TaxRates,
    VoucherNotApplicable,
    VoucherTerms,
    check_voucher,
    price,
)
from domains.carts.pricing.quote_token import QuoteComponents
from domains.carts.pricing.shipping.service import shipping
from domains.carts.pricing.tax_provider import Destination, TaxProvider, TaxUnavailable
from domains.carts.pricing.vouchers import service as vouchers
from domains.kit.countries import normalize_country_code
from domains.kit.errors import FieldError, InputErrors, parse_uuid, quoted

Code = CartErrorCode

MAX_AREA_LENGTH = 100
UNTAXED = TaxRates(tax_included=False, line_rates={}, shipping_rate=0)
MAX_POSTAL_CODE_LENGTH = 20


class CartNotPriceable(Exception):
    """Lines whose offer carts has not heard enough of (price, product, seller)."""

    def __init__(self, variant_ids: Sequence[uuid.UUID]) -> None:
        super().__init__(f"{len(variant_ids)} line(s) cannot be priced yet")
        self.variant_ids = list(variant_ids)


@dataclass(frozen=True)
class ShippingChoice:
    """A customer's pick for one seller's parcel, as sent (ids unparsed)."""

    seller_id: str
    method_id: str


@dataclass(frozen=True)
class ParcelQuote:
    seller_id: uuid.UUID
    options: list[ShippingOption]  # cheapest first
    chosen: ShippingOption


@dataclass(frozen=True)
class Quote:
    cart_id: uuid.UUID
    items: list[CartItem]
    vouchers: list[VoucherTerms]
    parcels: list[ParcelQuote]  # in the breakdown's parcel order
    rates: TaxRates
    pricing: CheckoutPricing
    line_ids: Mapping[uuid.UUID, uuid.UUID]  # variant -> cart line
    # Whether any voucher is applied to the cart, usable or not: without one, checkout
    # has no use to hold and no voucher to refuse (the cart is locked meanwhile).
    cart_has_vouchers: bool = True

    @property
    def components(self) -> QuoteComponents:
        return QuoteComponents.of(self.cart_id, self.items, self.pricing, self.rates)

    def token(self, key: str) -> str:
        return quote_token.encode(self.components, key)

    @property
    def choices(self) -> dict[uuid.UUID, ShippingOption]:
        return {parcel.seller_id: parcel.chosen for parcel in self.parcels}


def clean_destination(
    country_code: str, country_area: str, postal_code: str, *, field: str
) -> Destination:
    """The address fields pricing needs, checked; `field` names the address input."""
    errors: list[FieldError] = []
    country = normalize_country_code(country_code or "")
    if country is None:
        errors.append(
            FieldError(
                f"{field}.countryCode",
                Code.INVALID_ADDRESS,
                f"{quoted(country_code)} is not an ISO 3166-1 alpha-2 country code.",
            )
        )
    area, postal = (country_area or "").strip(), (postal_code or "").strip()
    if len(area) > MAX_AREA_LENGTH:
        errors.append(
            FieldError(
                f"{field}.countryArea",
                Code.INVALID_ADDRESS,
                f"`countryArea` is at most {MAX_AREA_LENGTH} characters.",
            )
        )
    if len(postal) > MAX_POSTAL_CODE_LENGTH:
        errors.append(
            FieldError(
                f"{field}.postalCode",
                Code.INVALID_ADDRESS,
                f"`postalCode` is at most {MAX_POSTAL_CODE_LENGTH} characters.",
            )
        )
    if errors:
        raise InputErrors(*errors)
    assert country is not None
    return Destination(country_code=country, country_area=area, postal_code=postal)


def _now() -> datetime:
    return datetime.now(UTC)


async def usable_vouchers(
    session: AsyncSession, cart_id: uuid.UUID, items: Sequence[CartItem], currency: str
) -> tuple[list[VoucherTerms], bool]:
    """The vouchers applied to the cart that apply now, in order: one that has ended, is
    used up, is in another currency or fits no line is left out of the quote (checkout
    refuses it by name when it reserves the cart's vouchers). And whether the cart has
    any voucher applied at all."""
    applied: list[VoucherTerms] = []
    on_cart = await vouchers.terms_for_cart(session, cart_id, now=_now())
    for voucher in on_cart:
        if not voucher.valid or voucher.currency not in (None, currency):
            continue
        if check_voucher(items, applied, voucher.terms) is None:
            applied.append(voucher.terms)
    return applied, bool(on_cart)


def _parse_choices(
    choices: Sequence[ShippingChoice], sellers: Sequence[uuid.UUID], errors: list[FieldError]
) -> dict[uuid.UUID, tuple[int, uuid.UUID]]:
    """seller -> (index of the choice, method) for each well-formed choice."""
    chosen: dict[uuid.UUID, tuple[int, uuid.UUID]] = {}
    for index, choice in enumerate(choices):
        field = f"shipping.{index}"
        try:
            seller_id = parse_uuid(choice.seller_id, f"{field}.sellerId", Code.INVALID)
            method_id = parse_uuid(choice.method_id, f"{field}.methodId", Code.INVALID)
        except InputErrors as error:
            errors.extend(error.errors)
            continue
        if seller_id not in sellers:
            errors.append(
                FieldError(
                    f"{field}.sellerId", Code.INVALID, "No parcel of this seller in the cart."
                )
            )
        elif seller_id in chosen:
            errors.append(
                FieldError(f"{field}.sellerId", Code.INVALID, "One choice per seller's parcel.")
            )
        else:
            chosen[seller_id] = (index, method_id)
    return chosen


async def _parcels(
    session: AsyncSession,
    sellers: Sequence[uuid.UUID],
    destination: Destination,
    currency: str,
    choices: Sequence[ShippingChoice],
    address_field: str,
) -> list[ParcelQuote]:
    errors: list[FieldError] = []
    chosen = _parse_choices(choices, sellers, errors)
    offered = await shipping.parcel_options(session, sellers, destination.country_code, currency)
    parcels = []
    for seller_id in sellers:
        options = offered[seller_id]
        if not options:
            errors.append(
                FieldError(
                    f"{address_field}.countryCode",
                    Code.SHIPPING_UNAVAILABLE,
                    f"Seller {seller_id} ships no parcel to {destination.country_code}.",
                )
            )
            continue
        option = options[0]
        if seller_id in chosen:
            index, method_id = chosen[seller_id]
            picked = [o for o in options if o.method_id == method_id]
            if not picked:
                errors.append(
                    FieldError(
                        f"shipping.{index}.methodId",
                        Code.SHIPPING_UNAVAILABLE,
                        f"This method does not ship seller {seller_id}'s parcel to "
                        f"{destination.country_code} (offered: "
                        f"{', '.join(o.name for o in options)}).",
                    )
                )
                continue
            option = picked[0]
        parcels.append(ParcelQuote(seller_id=seller_id, options=options, chosen=option))
    if errors:
        raise InputErrors(*errors)
    return parcels


async def build_quote(
    session: AsyncSession,
    cart: Cart,
    lines: Sequence[CartLine],
    offers: Mapping[uuid.UUID, VariantOffer],
    destination: Destination,
    choices: Sequence[ShippingChoice],
    tax: TaxProvider,
    *,
    vouchers_to_apply: Sequence[VoucherTerms] | None = None,
    address_field: str = "address",
) -> Quote:
    """The cart priced for `destination` with the rules as they are now.

    CartNotPriceable when a line's offer is not known well enough; InputErrors for a
    choice that does not fit or a parcel nobody ships there. `vouchers_to_apply` replaces
    the vouchers read from the cart (checkout prices with the ones it reserved).
    """
    try:
        items = items_of(lines, offers)
    except UnpricedLines as unpriced:
        raise CartNotPriceable(unpriced.variant_ids) from unpriced
    currency = cart.currency or next(
        (offers[item.variant_id].currency for item in items if offers[item.variant_id].currency),
        None,
    )
    if currency is None:
        raise CartNotPriceable([item.variant_id for item in items])
    sellers = list(dict.fromkeys(item.seller_id for item in items))
    parcels = await _parcels(session, sellers, destination, currency, choices, address_field)
    if vouchers_to_apply is not None:
        applied, cart_has_vouchers = list(vouchers_to_apply), True
    else:
        applied, cart_has_vouchers = await usable_vouchers(session, cart.id, items, currency)
    choices_made = {parcel.seller_id: parcel.chosen for parcel in parcels}
    try:
        # Untaxed first, for what each parcel's shipping comes to (free above a threshold
        # after discounts): a provider taxing shipping by its amount is told that.
        untaxed = price(items, applied, choices_made, UNTAXED, currency)
        shipping_prices = {parcel.seller_id: parcel.price for parcel in untaxed.parcels}
        rates = await tax.rates(destination, items, shipping_prices, currency)
        pricing = price(items, applied, choices_made, rates, currency)
    except VoucherNotApplicable as problem:  # only with vouchers_to_apply: checked there
        raise InputErrors.single(
            "cartId", Code.INVALID, f"The voucher {problem.code} does not apply."
        ) from problem
    except TaxUnavailable as unavailable:
        raise InputErrors.single(
            None, Code.TAX_UNAVAILABLE, f"Tax cannot be worked out right now: {unavailable}"
        ) from unavailable
    return Quote(
        cart_id=cart.id,
        items=items,
        vouchers=applied,
        parcels=parcels,
        rates=rates,
        pricing=pricing,
        line_ids={line.variant_id: line.id for line in lines},
        cart_has_vouchers=cart_has_vouchers,
    )
