"""The storefront notifier's settings, its calls, and its consumer group's events."""

from __future__ import annotations

import httpx
import pytest

from domains.kit.config import ConfigError
from domains.kit.resources import Resources
from domains.products import consumers, storefront
from domains.products.config import StorefrontConfig
from domains.products.storefront import RevalidationFailed, Revalidator
from tests.support.fake_storefront import fake_storefront

SECRET = "x" * 32


def test_storefront_settings() -> None:
    assert not StorefrontConfig.from_env({}).enabled
    config = StorefrontConfig.from_env(
        {"STOREFRONT_URL": "http://127.0.0.1:3000/", "STOREFRONT_REVALIDATE_SECRET": SECRET}
    )
    assert config.enabled
    assert config.revalidate_url == "http://127.0.0.1:3000/api/revalidate"
    assert SECRET not in repr(config)

    for environ, message in (
        ({"STOREFRONT_URL": "http://127.0.0.1:3000"}, "must be set together"),
        ({"STOREFRONT_REVALIDATE_SECRET": SECRET}, "must be set together"),
        ({"STOREFRONT_URL": "ftp://shop", "STOREFRONT_REVALIDATE_SECRET": SECRET}, "origin"),
        (
            {"STOREFRONT_URL": "https://shop.example.com", "STOREFRONT_REVALIDATE_SECRET": "short"},
            "at least 32 characters",
        ),
    ):
        with pytest.raises(ConfigError, match=message):
            StorefrontConfig.from_env(environ)


def test_the_notifier_reads_only_events_the_products_group_does_not(
    resources: Resources,
) -> None:
    # Both groups record handled ids in products.processed_events: they must never share one.
    revalidator = Revalidator(
        StorefrontConfig(url="http://shop", secret=SECRET), httpx.AsyncClient()
    )
    ours = {subscription.event.name for subscription in storefront.subscriptions(revalidator)}
    theirs = {subscription.event.name for subscription in consumers.subscriptions(resources)}
    assert ours
    assert not ours & theirs


async def test_a_refusal_is_not_retried_and_an_outage_is_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(storefront, "BACKOFF_SECONDS", (0.0, 0.0))
    with fake_storefront(failures=10) as down:
        config = StorefrontConfig(url=down.url, secret=SECRET)
        async with httpx.AsyncClient(timeout=2) as client:
            with pytest.raises(RevalidationFailed, match="HTTP 503"):
                await Revalidator(config, client).revalidate(["products"])
    assert down.refused == 3

    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(RevalidationFailed, match="ConnectError"):
            await Revalidator(config, client).revalidate(["products"])  # nothing listens now

    def refuse(request: httpx.Request) -> httpx.Response:
        refused.append(request)
        return httpx.Response(401)

    refused: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        await Revalidator(config, client).revalidate(["product:1", "products"])
    assert len(refused) == 1
    assert refused[0].headers["x-revalidate-secret"] == SECRET
