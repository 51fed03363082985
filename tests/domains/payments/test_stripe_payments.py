"""Payments against the fake Stripe (the real `stripe` library over HTTP): intents,
signed webhooks (verified, deduplicated, early, out of order, mismatched), refunds and
reconciliation, on real Postgres."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from domains.kit.auth import Role
from domains.kit.db import transaction
from domains.kit.errors import InputErrors
from domains.kit.resources import Resources
from domains.payments.errors import PaymentErrorCode
from domains.payments.models import Payment, PaymentTransaction, WebhookEvent
from domains.payments.providers import StripeProvider
from domains.payments.reconcile import reconcile_open_payments
from domains.payments.services.intents import intents
from domains.payments.services.refunds import refunds
from tests.domains.payments.fake_stripe import FakeStripe, sign
from tests.domains.products.helpers import Catalog
from tests.support.payments import ORDER_TOTAL, awaiting_payment, open_payment


async def status_announcements(resources: Resources) -> list[str]:
    """The statuses PaymentStatusChanged announced, in outbox order."""
    async with resources.session_factory() as session:
        rows = await session.scalars(
            text(
                "SELECT payload->>'status' FROM payments.outbox "
                "WHERE name = 'PaymentStatusChanged' ORDER BY position"
            )
        )
        return list(rows.all())


async def state(resources: Resources, payment_id: uuid.UUID) -> tuple[Any, ...]:
    """Everything a webhook could change: the payment, its log, the outbox."""
    async with resources.session_factory() as session:
        payment = await session.get(Payment, payment_id, populate_existing=True)
        assert payment is not None
        log = (
            await session.scalars(
                select(PaymentTransaction.type)
                .where(PaymentTransaction.payment_id == payment_id)
                .order_by(PaymentTransaction.id)
            )
        ).all()
        # The events other domains act on; PaymentStatusChanged, which accompanies every
        # status change for subscribers, is counted by status_announcements().
        outbox = (
            await session.scalars(
                text(
                    "SELECT name FROM payments.outbox WHERE name <> 'PaymentStatusChanged' "
                    "ORDER BY position"
                )
            )
        ).all()
        webhooks = (await session.scalars(select(WebhookEvent.id))).all()
    return (
        payment.status,
        payment.captured_amount,
        payment.refunded_amount,
        payment.flagged_reason,
        list(log),
        list(outbox),
        sorted(webhooks),
    )


async def deliver(
    http: httpx.AsyncClient, payload: bytes, signature: str | None = None
) -> httpx.Response:
    return await http.post(
        "/webhooks/stripe",
        content=payload,
        headers={
            "Stripe-Signature": signature or sign(payload),
            "Content-Type": "application/json",
        },
    )


async def test_creating_a_payment_makes_one_intent_per_order_and_amount(
    resources: Resources, stripe_provider: StripeProvider, fake_stripe: FakeStripe
) -> None:
    order_id = uuid.uuid4()
    payment = await open_payment(resources, stripe_provider, order_id)
    async with transaction(resources.session_factory) as session:
        again = await intents.open_for_order(
            session, stripe_provider, awaiting_payment(order_id, uuid.uuid4())
        )

    assert again is None
    (intent,) = fake_stripe.intents.values()
    assert intent["id"] == payment.provider_reference
    assert (intent["amount"], intent["currency"]) == (ORDER_TOTAL, "usd")
    assert intent["metadata"] == {"order_id": str(order_id)}
    creates = [r for r in fake_stripe.requests if r[:2] == ("POST", "/v1/payment_intents")]
    assert [key for _, _, key in creates] == [f"order-{order_id}-{ORDER_TOTAL}-USD"] * 2
    assert (payment.status, payment.client_secret) == ("REQUIRES_ACTION", intent["client_secret"])
    assert (await state(resources, payment.id))[4] == ["AUTHORIZATION_REQUEST"]


async def test_a_replayed_webhook_is_applied_once(
    resources: Resources,
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
) -> None:
    payment = await open_payment(resources, stripe_provider)
    payload = fake_stripe.event(
        "payment_intent.succeeded", fake_stripe.pay(payment.provider_reference)
    )

    first = await deliver(payments_http, payload)
    after_first = await state(resources, payment.id)
    second = await deliver(payments_http, payload)
    # The same news under another event id (Stripe resends with a new id on replays).
    third = await deliver(
        payments_http,
        fake_stripe.event(
            "payment_intent.succeeded", fake_stripe.intents[payment.provider_reference]
        ),
    )

    assert (first.status_code, first.json()["outcome"]) == (200, "applied")
    assert (second.status_code, second.json()["outcome"]) == (200, "duplicate")
    assert third.status_code == 200
    status, captured, refunded, flagged, log, outbox, _ = await state(resources, payment.id)
    assert after_first[:6] == (status, captured, refunded, flagged, log, outbox)
    assert (status, captured) == ("SUCCEEDED", ORDER_TOTAL)
    assert log == ["AUTHORIZATION_REQUEST", "CHARGE_SUCCESS"]
    assert outbox == ["PaymentSucceeded"]
    assert await status_announcements(resources) == ["SUCCEEDED"]  # once, as the change


@pytest.mark.parametrize("fault", ["wrong secret", "stale timestamp", "tampered body", "none"])
async def test_a_badly_signed_webhook_is_refused_and_changes_nothing(
    fault: str,
    resources: Resources,
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
) -> None:
    payment = await open_payment(resources, stripe_provider)
    payload = fake_stripe.event(
        "payment_intent.succeeded", fake_stripe.pay(payment.provider_reference)
    )
    before = await state(resources, payment.id)
    if fault == "wrong secret":
        response = await deliver(payments_http, payload, sign(payload, "whsec_someone_else"))
    elif fault == "stale timestamp":
        stale = int(time.time()) - 301  # Stripe's tolerance is five minutes
        response = await deliver(payments_http, payload, sign(payload, timestamp=stale))
    elif fault == "tampered body":
        tampered = payload.replace(b'"succeeded"', b'"canceled"', 1)
        response = await deliver(payments_http, tampered, sign(payload))
    else:
        response = await payments_http.post("/webhooks/stripe", content=payload)

    assert response.status_code == 400
    assert await state(resources, payment.id) == before


async def test_a_mismatched_amount_flags_the_payment_instead_of_paying_it(
    resources: Resources,
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
) -> None:
    payment = await open_payment(resources, stripe_provider)
    intent = fake_stripe.pay(payment.provider_reference, amount=ORDER_TOTAL - 1)

    response = await deliver(payments_http, fake_stripe.event("payment_intent.succeeded", intent))

    assert response.status_code == 200
    status, captured, _, flagged, log, outbox, _ = await state(resources, payment.id)
    assert (status, captured, outbox) == ("REQUIRES_ACTION", 0, [])
    assert flagged is not None
    assert flagged.startswith("AMOUNT_MISMATCH")
    assert f"{ORDER_TOTAL - 1} USD" in flagged
    assert log == ["AUTHORIZATION_REQUEST", "CHARGE_FAILURE"]


async def test_a_webhook_before_the_payment_row_is_applied_when_the_row_is_written(
    resources: Resources,
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
) -> None:
    # The intent exists at Stripe and is paid before our row for it is committed.
    order_id = uuid.uuid4()
    key = f"order-{order_id}-{ORDER_TOTAL}-USD"
    intent = fake_stripe.create_intent(
        {"amount": ORDER_TOTAL, "currency": "usd", "metadata": {"order_id": str(order_id)}}, key
    )
    early = await deliver(
        payments_http,
        fake_stripe.event("payment_intent.succeeded", fake_stripe.pay(intent["id"])),
    )
    async with resources.session_factory() as session:
        parked = (await session.scalars(select(WebhookEvent.status))).all()

    payment = await open_payment(resources, stripe_provider, order_id)

    assert early.json()["outcome"] == "pending"
    assert parked == ["PENDING"]
    status, captured, _, _, log, outbox, _ = await state(resources, payment.id)
    assert (status, captured, outbox) == ("SUCCEEDED", ORDER_TOTAL, ["PaymentSucceeded"])
    assert log == ["AUTHORIZATION_REQUEST", "CHARGE_SUCCESS"]
    async with resources.session_factory() as session:
        assert (await session.scalars(select(WebhookEvent.status))).all() == ["APPLIED"]


async def test_news_out_of_order_does_not_undo_a_success(
    resources: Resources,
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
) -> None:
    payment = await open_payment(resources, stripe_provider)
    declined = fake_stripe.event(
        "payment_intent.payment_failed", fake_stripe.decline(payment.provider_reference)
    )
    succeeded = fake_stripe.event(
        "payment_intent.succeeded", fake_stripe.pay(payment.provider_reference)
    )

    await deliver(payments_http, succeeded)
    await deliver(payments_http, declined)  # the earlier attempt's news, arriving late
    await deliver(
        payments_http,
        fake_stripe.event("payment_intent.canceled", {"id": payment.provider_reference}),
    )
    unknown = await deliver(
        payments_http,
        fake_stripe.event("payment_intent.succeeded", {"id": "pi_nobody", "amount": 5}),
    )

    status, captured, _, _, log, outbox, _ = await state(resources, payment.id)
    assert (status, captured) == ("SUCCEEDED", ORDER_TOTAL)
    assert log == ["AUTHORIZATION_REQUEST", "CHARGE_SUCCESS"]
    assert outbox == ["PaymentSucceeded"]
    assert await status_announcements(resources) == ["SUCCEEDED"]  # once, as the change
    assert unknown.json()["outcome"] == "pending"


async def test_a_declined_attempt_fails_the_payment_and_a_retry_can_still_succeed(
    resources: Resources,
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
) -> None:
    payment = await open_payment(resources, stripe_provider)
    reference = payment.provider_reference

    await deliver(
        payments_http,
        fake_stripe.event("payment_intent.payment_failed", fake_stripe.decline(reference)),
    )
    failed = await state(resources, payment.id)
    await deliver(
        payments_http, fake_stripe.event("payment_intent.succeeded", fake_stripe.pay(reference))
    )

    assert failed[0] == "FAILED"
    status, _, _, _, log, outbox, _ = await state(resources, payment.id)
    assert status == "SUCCEEDED"
    assert log == ["AUTHORIZATION_REQUEST", "CHARGE_FAILURE", "CHARGE_SUCCESS"]
    assert outbox == ["PaymentFailed", "PaymentSucceeded"]


async def _paid(
    resources: Resources, provider: StripeProvider, fake: FakeStripe, http: httpx.AsyncClient
) -> Payment:
    payment = await open_payment(resources, provider)
    await deliver(
        http, fake.event("payment_intent.succeeded", fake.pay(payment.provider_reference))
    )
    return payment


async def test_refunds_never_exceed_what_was_captured(
    resources: Resources,
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
) -> None:
    payment = await _paid(resources, stripe_provider, fake_stripe, payments_http)
    staff = Catalog(resources).staff().viewer

    async with transaction(resources.session_factory) as session:
        await refunds.refund(session, stripe_provider, staff, payment.id, 1000)
    before = await state(resources, payment.id)
    with pytest.raises(InputErrors) as too_much:
        async with transaction(resources.session_factory) as session:
            await refunds.refund(session, stripe_provider, staff, payment.id, ORDER_TOTAL - 999)
    with pytest.raises(InputErrors) as negative:
        async with transaction(resources.session_factory) as session:
            await refunds.refund(session, stripe_provider, staff, payment.id, -5)
    after_refusals = await state(resources, payment.id)
    async with transaction(resources.session_factory) as session:
        await refunds.refund(session, stripe_provider, staff, payment.id, None)

    (error,) = too_much.value.errors
    assert (error.field, error.code) == ("amount", PaymentErrorCode.AMOUNT_TOO_LARGE)
    assert "At most 2400 USD" in error.message
    assert [(e.field, e.code) for e in negative.value.errors] == [
        ("amount", PaymentErrorCode.INVALID)
    ]
    assert after_refusals == before
    assert before[:3] == ("PARTIALLY_REFUNDED", ORDER_TOTAL, 1000)
    status, captured, refunded, _, log, outbox, _ = await state(resources, payment.id)
    assert (status, captured, refunded) == ("REFUNDED", ORDER_TOTAL, ORDER_TOTAL)
    assert log == [
        "AUTHORIZATION_REQUEST",
        "CHARGE_SUCCESS",
        "REFUND_REQUEST",
        "REFUND_SUCCESS",
        "REFUND_REQUEST",
        "REFUND_SUCCESS",
    ]
    assert outbox == ["PaymentSucceeded", "PaymentRefunded", "PaymentRefunded"]
    assert sorted(r["amount"] for r in fake_stripe.refunds.values()) == [1000, 2400]
    refund_keys = [key for method, path, key in fake_stripe.requests if path == "/v1/refunds"]
    assert refund_keys == [
        f"refund-{payment.id}-1-1000",
        f"refund-{payment.id}-2-2400",
    ]


async def test_only_staff_refund(
    resources: Resources,
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
) -> None:
    payment = await _paid(resources, stripe_provider, fake_stripe, payments_http)
    customer = Catalog(resources).account(Role.CUSTOMER).viewer
    from domains.kit.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        async with transaction(resources.session_factory) as session:
            await refunds.refund(session, stripe_provider, customer, payment.id, 100)
    assert fake_stripe.refunds == {}


async def test_a_refund_made_in_the_dashboard_arrives_by_charge_refunded_once(
    resources: Resources,
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
) -> None:
    payment = await _paid(resources, stripe_provider, fake_stripe, payments_http)
    staff = Catalog(resources).staff().viewer
    async with transaction(resources.session_factory) as session:
        await refunds.refund(session, stripe_provider, staff, payment.id, 400)
    ours = fake_stripe.event("charge.refunded", fake_stripe.charge_of(payment.provider_reference))
    fake_stripe.refund({"payment_intent": payment.provider_reference, "amount": 600}, None)
    dashboard = fake_stripe.event(
        "charge.refunded", fake_stripe.charge_of(payment.provider_reference)
    )

    await deliver(payments_http, ours)  # our own refund: counted already
    await deliver(payments_http, dashboard)
    await deliver(payments_http, dashboard)

    status, _, refunded, _, log, outbox, _ = await state(resources, payment.id)
    assert (status, refunded) == ("PARTIALLY_REFUNDED", 1000)
    assert log.count("REFUND_SUCCESS") == 2
    assert outbox.count("PaymentRefunded") == 2


async def test_reconcile_applies_what_a_missed_webhook_would_have(
    resources: Resources, stripe_provider: StripeProvider, fake_stripe: FakeStripe
) -> None:
    paid = await open_payment(resources, stripe_provider)
    waiting = await open_payment(resources, stripe_provider)
    declined = await open_payment(resources, stripe_provider)
    fake_stripe.pay(paid.provider_reference)
    fake_stripe.decline(declined.provider_reference)

    report = await reconcile_open_payments(resources, stripe_provider)
    again = await reconcile_open_payments(resources, stripe_provider)

    assert (report.checked, report.changed, report.failed) == (3, 2, 0)
    assert (again.checked, again.changed) == (1, 0)
    assert (await state(resources, paid.id))[:2] == ("SUCCEEDED", ORDER_TOTAL)
    assert (await state(resources, waiting.id))[0] == "REQUIRES_ACTION"
    assert (await state(resources, declined.id))[0] == "FAILED"
    assert (await state(resources, paid.id))[5] == ["PaymentSucceeded", "PaymentFailed"]


async def test_cancelling_the_order_refunds_a_paid_payment_and_cancels_an_open_one(
    resources: Resources,
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
    payments_http: httpx.AsyncClient,
) -> None:
    paid = await _paid(resources, stripe_provider, fake_stripe, payments_http)
    open_one = await open_payment(resources, stripe_provider)

    for order_id in (paid.order_id, open_one.order_id):
        async with transaction(resources.session_factory) as session:
            await intents.order_cancelled(session, stripe_provider, order_id)
    # The shopper pays the cancelled intent anyway (a race Stripe can lose): refunded.
    late = await open_payment(resources, stripe_provider)
    async with transaction(resources.session_factory) as session:
        await intents.order_cancelled(session, stripe_provider, late.order_id)
    await deliver(
        payments_http,
        fake_stripe.event("payment_intent.succeeded", fake_stripe.pay(late.provider_reference)),
    )

    assert (await state(resources, paid.id))[:3] == ("REFUNDED", ORDER_TOTAL, ORDER_TOTAL)
    assert (await state(resources, open_one.id))[0] == "CANCELLED"
    assert fake_stripe.intents[open_one.provider_reference]["status"] == "canceled"
    late_state = await state(resources, late.id)
    assert late_state[0] == "CANCELLED"  # cancelled at Stripe first: the payment stays so
