"""Which provider takes the money, and what production refuses."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from domains.kit.config import AppEnv, ConfigError, Settings
from domains.payments.config import PaymentsConfig, ProviderName
from shopgraph.platform import build_platform_app


def test_the_local_provider_is_the_default_without_a_stripe_key() -> None:
    assert PaymentsConfig.from_settings(Settings(), {}).provider is ProviderName.LOCAL
    with_key = Settings(stripe_api_key="sk_test_1")
    assert PaymentsConfig.from_settings(with_key, {}).provider is ProviderName.STRIPE
    chosen = PaymentsConfig.from_settings(with_key, {"PAYMENTS_PROVIDER": "local"})
    assert chosen.provider is ProviderName.LOCAL


def test_parked_webhooks_are_kept_seven_days_unless_told() -> None:
    assert PaymentsConfig.from_settings(Settings(), {}).parked_webhook_ttl == timedelta(days=7)
    chosen = PaymentsConfig.from_settings(Settings(), {"PAYMENTS_PARKED_WEBHOOK_TTL": "36h"})
    assert chosen.parked_webhook_ttl == timedelta(hours=36)


@pytest.mark.parametrize(
    ("settings", "environ", "message"),
    [
        (Settings(app_env=AppEnv.PRODUCTION), {}, "APP_ENV=production requires STRIPE_API_KEY"),
        (Settings(), {"PAYMENTS_PROVIDER": "stripe"}, "PAYMENTS_PROVIDER=stripe requires "),
        (Settings(), {"PAYMENTS_PROVIDER": "paypal"}, "PAYMENTS_PROVIDER must be one of"),
        (
            Settings(app_env=AppEnv.PRODUCTION, stripe_api_key="sk_live_1"),
            {"PAYMENTS_PROVIDER": "local"},
            "PAYMENTS_PROVIDER=local is refused with APP_ENV=production",
        ),
        (Settings(), {"STRIPE_API_BASE": "ftp://x"}, "STRIPE_API_BASE must be"),
        (Settings(), {"PAYMENTS_PARKED_WEBHOOK_TTL": "soon"}, "PAYMENTS_PARKED_WEBHOOK_TTL"),
        (Settings(), {"PAYMENTS_PARKED_WEBHOOK_TTL": "0d"}, "PAYMENTS_PARKED_WEBHOOK_TTL"),
    ],
)
def test_bad_payment_settings_name_the_variable(
    settings: Settings, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        PaymentsConfig.from_settings(settings, environ)


def test_production_without_a_stripe_key_does_not_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAYMENTS_PROVIDER", raising=False)
    production = dataclasses.replace(settings, app_env=AppEnv.PRODUCTION, stripe_api_key=None)

    with pytest.raises(ConfigError, match="STRIPE_API_KEY"):
        build_platform_app(production)
