"""Settings of the payments domain.

PAYMENTS_PROVIDER chooses who takes the money: `stripe`, or `local`, which imitates a
PaymentIntent without leaving the machine (development, the embedded default). Unset, it
is `stripe` when STRIPE_API_KEY is set and `local` otherwise. STRIPE_API_BASE points the
Stripe client elsewhere (stripe-mock, a test server); unset, it is Stripe's own API.
PAYMENTS_PARKED_WEBHOOK_TTL (7d by default) is how long a webhook event waits for a
payment row for its intent before the sweeper deletes it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from domains.kit.config import ConfigError, Settings, parse_duration


class ProviderName(StrEnum):
    LOCAL = "local"
    STRIPE = "stripe"


@dataclass(frozen=True)
class PaymentsConfig:
    provider: ProviderName = ProviderName.LOCAL
    production: bool = False
    stripe_api_key: str | None = field(default=None, repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_api_base: str | None = None
    parked_webhook_ttl: timedelta = timedelta(days=7)

    @classmethod
    def from_settings(
        cls, settings: Settings, environ: Mapping[str, str] | None = None
    ) -> PaymentsConfig:
        env = os.environ if environ is None else environ
        if settings.is_production and settings.stripe_api_key is None:
            raise ConfigError(
                "APP_ENV=production requires STRIPE_API_KEY: the local payment provider "
                "takes no real money"
            )
        raw = env.get("PAYMENTS_PROVIDER", "").strip().lower()
        if not raw:
            provider = ProviderName.STRIPE if settings.stripe_api_key else ProviderName.LOCAL
        else:
            try:
                provider = ProviderName(raw)
            except ValueError:
                raise ConfigError(
                    f"PAYMENTS_PROVIDER must be one of local | stripe (got {raw!r})"
                ) from None
        if provider is ProviderName.STRIPE and settings.stripe_api_key is None:
            raise ConfigError("PAYMENTS_PROVIDER=stripe requires STRIPE_API_KEY")
        if provider is ProviderName.LOCAL and settings.is_production:
            raise ConfigError("PAYMENTS_PROVIDER=local is refused with APP_ENV=production")
        api_base = env.get("STRIPE_API_BASE", "").strip().rstrip("/") or None
        if api_base is not None and not api_base.startswith(("http://", "https://")):
            raise ConfigError(f"STRIPE_API_BASE must be an http(s) URL (got {api_base!r})")
        raw_ttl = env.get("PAYMENTS_PARKED_WEBHOOK_TTL", "").strip()
        parked_webhook_ttl = (
            parse_duration("PAYMENTS_PARKED_WEBHOOK_TTL", raw_ttl)
            if raw_ttl
            else cls.parked_webhook_ttl
        )
        return cls(
            provider=provider,
            production=settings.is_production,
            stripe_api_key=settings.stripe_api_key,
            stripe_webhook_secret=settings.stripe_webhook_secret,
            stripe_api_base=api_base,
            parked_webhook_ttl=parked_webhook_ttl,
        )


def check(settings: Settings) -> None:
    """Validate this domain's variables at start-up (shopgraph calls it), not first use."""
    PaymentsConfig.from_settings(settings)
