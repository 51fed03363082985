"""Who takes the money: one small interface, a Stripe implementation and a local one."""

from __future__ import annotations

from functools import lru_cache

from domains.payments.config import PaymentsConfig, ProviderName
from domains.payments.providers.base import (
    IntentSnapshot,
    PaymentProvider,
    ProviderError,
    RefundResult,
)
from domains.payments.providers.local import LocalProvider
from domains.payments.providers.stripe import StripeProvider


@lru_cache(maxsize=8)
def provider_for(config: PaymentsConfig) -> PaymentProvider:
    """One provider (and one pool of connections to Stripe) per configuration."""
    if config.provider is ProviderName.STRIPE:
        assert config.stripe_api_key is not None  # PaymentsConfig refuses it otherwise
        return StripeProvider(config.stripe_api_key, api_base=config.stripe_api_base)
    return LocalProvider()


__all__ = [
    "IntentSnapshot",
    "LocalProvider",
    "PaymentProvider",
    "ProviderError",
    "RefundResult",
    "StripeProvider",
    "provider_for",
]
