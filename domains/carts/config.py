"""Settings of the carts domain, read from the environment with the kit's parsers.

CARTS_TAX_PROVIDER chooses who answers tax rates: `local` (carts' own rules tables, the
default) or `stripe` (Stripe Tax, which needs STRIPE_API_KEY). CARTS_QUOTE_KEY signs the
quote tokens a cart's pricing hands out (at least 32 characters; unset, a fixed
development key). A token never sets a price, checkout charges what the rules say at
that moment: the signature only keeps a client from editing what it claims to have been
shown, so a deployment that leaves the key unset loses that, not money.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from domains.kit.config import ConfigError, Settings, parse_duration

# Signs quote tokens where CARTS_QUOTE_KEY is unset: such a token proves nothing to
# anyone who can read this file.
DEVELOPMENT_QUOTE_KEY = "shopgraph-development-quote-key-not-a-secret"
MIN_QUOTE_KEY_LENGTH = 32


class TaxProviderName(StrEnum):
    LOCAL = "local"
    STRIPE = "stripe"


@dataclass(frozen=True)
class CartsConfig:
    # CART_GUEST_LIFETIME: an untouched guest cart expires after this long.
    guest_cart_lifetime: timedelta = timedelta(days=30)
    # CHECKOUT_WAIT: how long checkoutComplete waits for the saga's decision before it
    # answers PENDING for the client to poll.
    checkout_wait: timedelta = timedelta(seconds=5)
    # CHECKOUT_ADMISSION_MARGIN: units of a variant let into the checkout saga beyond the
    # stock carts last saw, counting the checkouts in flight (admission.py); "off" lets
    # every checkout in.
    admission_margin: int | None = 64
    # CARTS_TAX_PROVIDER: local | stripe.
    tax_provider: TaxProviderName = TaxProviderName.LOCAL
    # STRIPE_API_BASE: where Stripe Tax is asked (stripe-mock, a test server); unset:
    # Stripe's own API.
    stripe_api_base: str | None = None
    # CARTS_QUOTE_KEY: the HMAC key of quote tokens.
    quote_key: str = field(default=DEVELOPMENT_QUOTE_KEY, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CartsConfig:
        env = os.environ if environ is None else environ
        defaults = cls()
        lifetime = env.get("CART_GUEST_LIFETIME", "").strip()
        wait = env.get("CHECKOUT_WAIT", "").strip()
        return cls(
            admission_margin=_margin(env.get("CHECKOUT_ADMISSION_MARGIN", "").strip()),
            guest_cart_lifetime=(
                parse_duration("CART_GUEST_LIFETIME", lifetime)
                if lifetime
                else defaults.guest_cart_lifetime
            ),
            checkout_wait=(
                parse_duration("CHECKOUT_WAIT", wait) if wait else defaults.checkout_wait
            ),
            tax_provider=_tax_provider(env.get("CARTS_TAX_PROVIDER", "").strip().lower()),
            quote_key=_quote_key(env.get("CARTS_QUOTE_KEY", "").strip()),
            stripe_api_base=env.get("STRIPE_API_BASE", "").strip().rstrip("/") or None,
        )


def _tax_provider(raw: str) -> TaxProviderName:
    if not raw:
        return TaxProviderName.LOCAL
    try:
        return TaxProviderName(raw)
    except ValueError:
        raise ConfigError(
            f"CARTS_TAX_PROVIDER must be one of local | stripe (got {raw!r})"
        ) from None


def _quote_key(raw: str) -> str:
    if not raw:
        return DEVELOPMENT_QUOTE_KEY
    if len(raw) < MIN_QUOTE_KEY_LENGTH:
        raise ConfigError(f"CARTS_QUOTE_KEY must be at least {MIN_QUOTE_KEY_LENGTH} characters")
    return raw


def _margin(raw: str) -> int | None:
    if not raw:
        return CartsConfig.admission_margin
    if raw.lower() == "off":
        return None
    if not raw.isdigit():
        raise ConfigError(
            f"CHECKOUT_ADMISSION_MARGIN must be a whole number of units (0 or more) or "
            f"'off', not {raw!r}"
        )
    return int(raw)


def check(settings: Settings) -> None:
    """Validate this domain's variables at start-up (shopgraph calls it), not first use."""
    config = CartsConfig.from_env()
    if config.tax_provider is TaxProviderName.STRIPE and settings.stripe_api_key is None:
        raise ConfigError("CARTS_TAX_PROVIDER=stripe requires STRIPE_API_KEY")
