"""StripeTaxProvider: the tax seam answered by Stripe Tax (a Tax Calculation per quote).

Stripe is asked for the tax on the cart's lines and its shipping at the shipping address;
what carts keeps from the answer is the rate of each line and of shipping, in basis
points, and the engine does the arithmetic (so a quote is priced the same way whichever
provider answered). Choices, each forced by what Stripe accepts or answers:

- Prices include tax or not by the destination's country: exclusive (sales tax added at
  checkout) for the countries in `exclusive_countries`, the US and Canada by default,
  inclusive (VAT and GST countries show prices with the tax in) everywhere else. That
  tax_behavior is sent on every line and on shipping, and read back: the answer's
  tax_behavior is what TaxRates.tax_included says.
- A calculation has one shipping cost: the parcels' prices are sent as their sum. Stripe
  taxes shipping at one rate per address, which is what the engine applies to each
  parcel. Free shipping (a sum of 0) sends no shipping cost and answers rate 0.
- A line's rate is the sum of the rates of the taxes Stripe collects on it (US sales tax
  comes as state, county, city and district parts); a part Stripe does not collect
  (not registered there, exempt, reverse charge, zero rated) counts 0. Rates arrive as
  decimal strings ("8.875") and are rounded half up to whole basis points (888).
- Lines are sent at their promoted price before vouchers (the provider is asked before
  vouchers are spread); only the rates are used, so the amount does not change them.

Any failure (Stripe's error, the network, an answer without a line or with a rate that
cannot be read) raises TaxUnavailable naming the cause: a checkout is never priced
without the tax it owes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import stripe

from domains.carts.pricing.money import CartItem, TaxRates
from domains.carts.pricing.tax_provider import Destination, TaxUnavailable
from domains.kit.stripe_http import StripeHTTPXClient

EXCLUSIVE_COUNTRIES = frozenset({"US", "CA"})
# A checkout waits for this answer: a few seconds, not the library's 80.
TIMEOUT_SECONDS = 10.0
# Parts of a tax Stripe does not charge: their rate is shown but nothing is collected.
NOT_COLLECTED = frozenset(
    {
        "customer_exempt",
        "not_collecting",
        "not_subject_to_tax",
        "not_supported",
        "product_exempt",
        "product_exempt_holiday",
        "reverse_charge",
        "zero_rated",
    }
)


class StripeTaxProvider:
    name = "stripe"

    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        *,
        exclusive_countries: frozenset[str] = EXCLUSIVE_COUNTRIES,
    ) -> None:
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=StripeHTTPXClient(timeout=TIMEOUT_SECONDS),
            max_network_retries=2,
        )
        self._exclusive_countries = exclusive_countries

    async def rates(
        self,
        destination: Destination,
        items: Sequence[CartItem],
        shipping: Mapping[uuid.UUID, int],
        currency: str,
    ) -> TaxRates:
        country = destination.country_code.upper()
        behavior = "exclusive" if country in self._exclusive_countries else "inclusive"
        if not items:
            return TaxRates(tax_included=behavior == "inclusive", line_rates={}, shipping_rate=0)
        shipping_amount = sum(shipping.values())
        params: dict[str, Any] = {
            "currency": currency.lower(),
            "customer_details": {
                "address": {
                    "country": country,
                    "state": destination.country_area,
                    "postal_code": destination.postal_code,
                },
                "address_source": "shipping",
            },
            "line_items": [
                {
                    "amount": item.unit_price * item.quantity,
                    "quantity": item.quantity,
                    "reference": str(item.variant_id),
                    "tax_behavior": behavior,
                }
                for item in items
            ],
            # A line's breakdown is not in the answer unless asked for.
            "expand": ["line_items.data.tax_breakdown"],
        }
        if shipping_amount > 0:
            params["shipping_cost"] = {"amount": shipping_amount, "tax_behavior": behavior}
        try:
            calculation = await self._client.v1.tax.calculations.create_async(params)  # type: ignore[arg-type]
            line_items = await self._all_line_items(calculation.to_dict())
        except stripe.StripeError as error:
            raise TaxUnavailable(_describe(error)) from error
        return _rates_of(items, line_items, calculation.to_dict().get("shipping_cost"), behavior)

    async def _all_line_items(self, calculation: dict[str, Any]) -> list[dict[str, Any]]:
        """The calculation's line items: the first page came with it, the rest on request
        (Stripe embeds a page of a list, not all of it)."""
        page: dict[str, Any] = calculation.get("line_items") or {}
        found: list[dict[str, Any]] = list(page.get("data") or [])
        while page.get("has_more") and found:
            more = await self._client.v1.tax.calculations.line_items.list_async(
                str(calculation["id"]),
                {
                    "limit": 100,
                    "starting_after": str(found[-1]["id"]),
                    "expand": ["data.tax_breakdown"],
                },
            )
            page = more.to_dict()
            found.extend(page.get("data") or [])
        return found


def _rates_of(
    items: Sequence[CartItem],
    line_items: Iterable[dict[str, Any]],
    shipping_cost: dict[str, Any] | None,
    behavior: str,
) -> TaxRates:
    by_reference = {str(line.get("reference")): line for line in line_items}
    line_rates: dict[uuid.UUID, int] = {}
    for item in items:
        line = by_reference.get(str(item.variant_id))
        if line is None:
            raise TaxUnavailable(f"Stripe Tax answered no line for variant {item.variant_id}")
        if line.get("tax_behavior") != behavior:
            raise TaxUnavailable(
                f"Stripe Tax answered tax_behavior {line.get('tax_behavior')!r} for variant "
                f"{item.variant_id}, asked {behavior!r}"
            )
        line_rates[item.variant_id] = _basis_points(line.get("tax_breakdown"))
    shipping_rate = (
        0 if shipping_cost is None else _basis_points(shipping_cost.get("tax_breakdown"))
    )
    return TaxRates(
        tax_included=behavior == "inclusive", line_rates=line_rates, shipping_rate=shipping_rate
    )


def _basis_points(breakdown: Iterable[dict[str, Any]] | None) -> int:
    """The collected rate of a line or of shipping, in basis points rounded half up."""
    percent = Decimal(0)
    for part in breakdown or ():
        details = part.get("tax_rate_details")
        if details is None or part.get("taxability_reason") in NOT_COLLECTED:
            continue
        raw = details.get("percentage_decimal")
        try:
            rate = Decimal(str(raw))
        except InvalidOperation:
            rate = Decimal("NaN")
        if not rate.is_finite() or rate < 0:
            raise TaxUnavailable(f"Stripe Tax answered an unreadable rate {raw!r}")
        percent += rate
    return int((percent * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _describe(error: stripe.StripeError) -> str:
    """Stripe's own words for what went wrong, with the HTTP status and error code."""
    status = "no answer" if error.http_status is None else f"HTTP {error.http_status}"
    code = f", {error.code}" if error.code else ""
    message = error.user_message or str(error) or error.__class__.__name__
    return f"Stripe Tax could not calculate the tax ({status}{code}): {message}"
