"""The tax seam: what carts asks a tax provider, and what the provider answers.

The engine (money.py) only does arithmetic on rates; which rate applies to which line at
which address is the provider's business. Two answer behind this seam: the local rules
tables (tax/local.py) and Stripe Tax (stripe_tax.py). A provider that cannot answer
raises TaxUnavailable, which the checkout turns into a clear error instead of pricing
without tax.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from domains.carts.pricing.money import CartItem, TaxRates


@dataclass(frozen=True)
class Destination:
    """Where the parcels go: what tax depends on."""

    country_code: str  # ISO 3166-1 alpha-2
    country_area: str  # region or state code, '' if none
    postal_code: str


class TaxUnavailable(Exception):
    """The provider gave no usable answer; the message names the provider and the cause."""


class TaxProvider(Protocol):
    async def rates(
        self,
        destination: Destination,
        items: Sequence[CartItem],
        shipping: Mapping[uuid.UUID, int],
        currency: str,
    ) -> TaxRates:
        """The rates for these lines sent to `destination`.

        `shipping` is each seller's parcel shipping price (seller id -> minor units), for
        providers that tax shipping by its amount; `currency` is the cart's. Every
        variant of `items` gets a rate in the answer (0 when untaxed).
        """
        ...
