"""Settings of the carts domain, read from the environment with the kit's parsers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from domains.kit.config import Settings, parse_duration


@dataclass(frozen=True)
class CartsConfig:
    # CART_GUEST_LIFETIME: an untouched guest cart expires after this long.
    guest_cart_lifetime: timedelta = timedelta(days=30)
    # CHECKOUT_WAIT: how long checkoutComplete waits for the saga's decision before it
    # answers PENDING for the client to poll.
    checkout_wait: timedelta = timedelta(seconds=5)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CartsConfig:
        env = os.environ if environ is None else environ
        defaults = cls()
        lifetime = env.get("CART_GUEST_LIFETIME", "").strip()
        wait = env.get("CHECKOUT_WAIT", "").strip()
        return cls(
            guest_cart_lifetime=(
                parse_duration("CART_GUEST_LIFETIME", lifetime)
                if lifetime
                else defaults.guest_cart_lifetime
            ),
            checkout_wait=(
                parse_duration("CHECKOUT_WAIT", wait) if wait else defaults.checkout_wait
            ),
        )


def check(settings: Settings) -> None:
    """Validate this domain's variables at start-up (shopgraph calls it), not first use."""
    CartsConfig.from_env()
