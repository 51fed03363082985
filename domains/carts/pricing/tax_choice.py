"""Which TaxProvider answers tax rates: the one CARTS_TAX_PROVIDER names (config.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.config import CartsConfig, TaxProviderName
from domains.carts.pricing.stripe_tax import StripeTaxProvider
from domains.carts.pricing.tax.local import LocalTaxProvider
from domains.carts.pricing.tax_provider import TaxProvider


def tax_provider_for(
    session: AsyncSession, config: CartsConfig, stripe_api_key: str | None
) -> TaxProvider:
    """The configured provider; the local one reads its rules in `session`. Stripe Tax
    without a key is refused at start-up (config.check), so none falls back silently."""
    if config.tax_provider is TaxProviderName.STRIPE and stripe_api_key is not None:
        return StripeTaxProvider(stripe_api_key, config.stripe_api_base)
    return LocalTaxProvider(session)
