"""Settings of the orders domain, read from the environment with the kit's parsers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from domains.kit.config import Settings, duration_setting


@dataclass(frozen=True)
class OrdersConfig:
    # ORDER_PAYMENT_WINDOW: an order not paid this long after checkout expires and its
    # stock goes back.
    payment_window: timedelta = timedelta(minutes=30)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OrdersConfig:
        return cls(
            payment_window=duration_setting("ORDER_PAYMENT_WINDOW", cls.payment_window, environ)
        )


def check(settings: Settings) -> None:
    """Validate this domain's variables at start-up (shopgraph calls it), not first use."""
    OrdersConfig.from_env()
