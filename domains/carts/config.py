"""Settings of the carts domain, read from the environment with the kit's parsers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from domains.kit.config import ConfigError, Settings, parse_duration


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
        )


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
    CartsConfig.from_env()
