"""Parked webhook events (for an intent with no payment row) are deleted once older than
PAYMENTS_PARKED_WEBHOOK_TTL; applied ones and younger parked ones stay."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from domains.kit.resources import Resources
from domains.payments.models import WebhookEvent
from domains.payments.providers import StripeProvider
from domains.payments.sweeper import run_parked_webhook_sweeper, sweep_parked_webhooks
from domains.payments.webhooks import WEBHOOK_PATH
from tests.domains.payments.fake_stripe import FakeStripe, sign
from tests.support.payments import open_payment


async def _deliver(http: httpx.AsyncClient, payload: bytes) -> str:
    response = await http.post(
        WEBHOOK_PATH, content=payload, headers={"Stripe-Signature": sign(payload)}
    )
    return str(response.json()["outcome"])


async def _age(resources: Resources, event_ids: list[str], days: int) -> None:
    async with resources.session_factory.begin() as session:
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id.in_(event_ids))
            .values(received_at=datetime.now(UTC) - timedelta(days=days))
        )


async def _kept(resources: Resources) -> dict[str, str]:
    async with resources.session_factory() as session:
        rows = (await session.execute(select(WebhookEvent.id, WebhookEvent.status))).all()
    return {event_id: status for event_id, status in rows}


async def test_parked_webhooks_older_than_the_ttl_are_deleted_and_counted(
    resources: Resources,
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    intent = fake_stripe.create_intent({"amount": 100, "currency": "usd"}, None)
    other = fake_stripe.create_intent({"amount": 200, "currency": "usd"}, None)
    old_parked = [
        fake_stripe.event("payment_intent.processing", intent, event_id="evt_old_1"),
        fake_stripe.event("payment_intent.succeeded", intent, event_id="evt_old_2"),
    ]
    young_parked = fake_stripe.event("payment_intent.processing", other, event_id="evt_young")
    ours = await open_payment(resources, stripe_provider)
    applied = fake_stripe.event(
        "payment_intent.processing", fake_stripe.intents[ours.provider_reference], event_id="evt_ok"
    )
    outcomes = [await _deliver(payments_http, p) for p in [*old_parked, young_parked, applied]]
    assert outcomes == ["pending", "pending", "pending", "applied"]
    await _age(resources, ["evt_old_1", "evt_old_2", "evt_ok"], days=8)

    with caplog.at_level(logging.INFO, logger="shopgraph.payments"):
        deleted = await sweep_parked_webhooks(resources, timedelta(days=7))
    again = await sweep_parked_webhooks(resources, timedelta(days=7))

    assert (deleted, again) == (2, 0)
    assert await _kept(resources) == {"evt_young": "PENDING", "evt_ok": "APPLIED"}
    assert "deleted 2 parked webhook events older than 7 days" in caplog.text


async def test_the_sweeper_reads_its_ttl_from_the_environment(
    resources: Resources,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    intent = fake_stripe.create_intent({"amount": 100, "currency": "usd"}, None)
    await _deliver(
        payments_http, fake_stripe.event("payment_intent.processing", intent, event_id="evt_1")
    )
    await _age(resources, ["evt_1"], days=2)
    monkeypatch.setenv("PAYMENTS_PARKED_WEBHOOK_TTL", "1d")

    sweeper = asyncio.create_task(run_parked_webhook_sweeper(resources, interval=0.05))
    try:
        for _ in range(100):
            if not await _kept(resources):
                break
            await asyncio.sleep(0.05)
    finally:
        sweeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sweeper

    assert await _kept(resources) == {}
