"""Fixtures of the payments tests: the fake Stripe, the subgraph with Stripe settings."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from domains.kit.app import Runtime
from domains.kit.config import Settings
from domains.kit.resources import Resources
from domains.payments.providers import StripeProvider
from tests.domains.payments.fake_stripe import (
    API_KEY,
    WEBHOOK_SECRET,
    FakeStripe,
    running_fake_stripe,
)


@pytest.fixture
def fake_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with running_fake_stripe() as fake:
        monkeypatch.setenv("STRIPE_API_BASE", fake.base_url)
        monkeypatch.delenv("PAYMENTS_PROVIDER", raising=False)
        yield fake


@pytest.fixture
def stripe_settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, stripe_api_key=API_KEY, stripe_webhook_secret=WEBHOOK_SECRET
    )


@pytest.fixture
def stripe_provider(fake_stripe: FakeStripe) -> StripeProvider:
    return StripeProvider(API_KEY, api_base=fake_stripe.base_url)


@pytest.fixture
async def payments_http(
    stripe_settings: Settings, resources: Resources, fake_stripe: FakeStripe
) -> AsyncIterator[httpx.AsyncClient]:
    """The payments subgraph as deployed, with Stripe configured: /graphql and the webhook."""
    from domains.payments.app import create_app

    app = create_app(Runtime(stripe_settings, resources), manage_resources=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://payments.test") as http:
        yield http
