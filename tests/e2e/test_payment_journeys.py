"""Paying for orders through the gateway, with every domain's workers running as under
`shopgraph serve`: checkout -> payment -> paid -> stock committed -> refunds, with the
local provider (the shopper played by paymentSimulate) and with Stripe (the fake Stripe
server, driven by signed webhooks). After every step the payment's transaction log and
the order's status history tell the same story."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from domains.kit.config import Settings
from domains.kit.resources import Resources
from domains.products.models import Inventory
from shopgraph.platform import build_platform_app
from tests.domains.payments.fake_stripe import (
    API_KEY,
    WEBHOOK_SECRET,
    FakeStripe,
    running_fake_stripe,
    sign,
)
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.checkout import ADDRESS
from tests.support.graphql import GraphQLClient

REPO_ROOT = Path(__file__).resolve().parents[2]
PRICE = 2500
QUANTITY = 2
TOTAL = PRICE * QUANTITY + 500  # one seller's flat shipping

ORDER = """
query($id: ID!) {
  order(id: $id) {
    status total currency
    statusHistory { status note }
    payment {
      id provider status amount currency capturedAmount refundedAmount clientSecret
      providerReference
      transactions { type amount currency providerReference message }
    }
    payments { id }
  }
}
"""
REFUND = """
mutation($id: ID!, $amount: Int) {
  paymentRefund(paymentId: $id, amount: $amount) {
    payment { status refundedAmount }
    errors { field code message }
  }
}
"""


@dataclasses.dataclass
class Shop:
    client: GraphQLClient
    http: httpx.AsyncClient
    resources: Resources
    catalog: Catalog

    async def ok(self, query: str, variables: Any = None, token: str | None = None) -> Any:
        response = await self.client.execute(query, variables, token=token)
        assert response.status_code == 200
        return response.ok()

    async def checkout(self, token: str, variant_id: uuid.UUID, key: str) -> str:
        created = await self.ok(
            "mutation($lines: [CartLineInput!]) { cartCreate(lines: $lines) "
            "{ cart { id } errors { code } } }",
            {"lines": [{"variantId": str(variant_id), "quantity": QUANTITY}]},
            token,
        )
        answer = (
            await self.ok(
                "mutation($cart: ID!, $address: ShippingAddressInput!, $key: String!) {"
                " checkoutComplete(cartId: $cart, shippingAddress: $address, "
                "idempotencyKey: $key) { status orderId errors { code message } } }",
                {"cart": created["cartCreate"]["cart"]["id"], "address": ADDRESS, "key": key},
                token,
            )
        )["checkoutComplete"]
        assert answer["errors"] == []
        assert answer["status"] == "AWAITING_PAYMENT"
        return str(answer["orderId"])

    async def order(self, order_id: str, token: str) -> Any:
        return (await self.ok(ORDER, {"id": order_id}, token))["order"]

    async def stock(self, variant_id: uuid.UUID) -> tuple[int, int]:
        async with self.resources.session_factory() as session:
            row = await session.get(Inventory, variant_id, populate_existing=True)
        assert row is not None
        return row.on_hand, row.reserved


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """For effects of background workers the test cannot step: bounded polling."""
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "the platform did not get there in time"
        await asyncio.sleep(0.02)


def story_of(payment: dict[str, Any]) -> list[str]:
    """The order statuses the payment's log implies, from checkout on."""
    statuses = ["PENDING", "AWAITING_PAYMENT"]
    refunded = 0
    for line in payment["transactions"]:
        if line["type"] == "CHARGE_SUCCESS":
            statuses.append("PAID")
        elif line["type"] in ("REFUND_SUCCESS", "REFUND_FAILURE"):
            refunded += line["amount"] if line["type"] == "REFUND_SUCCESS" else -line["amount"]
            if refunded == 0:
                status = "PAID"  # every refund failed: back to before the refunds
            elif refunded >= payment["capturedAmount"]:
                status = "REFUNDED"
            else:
                status = "PARTIALLY_REFUNDED"
            if statuses[-1] != status:
                statuses.append(status)
    return statuses


def refunded_by_log(payment: dict[str, Any]) -> int:
    """What went back, by the log: refunds made, less those that failed later."""
    signs = {"REFUND_SUCCESS": 1, "REFUND_FAILURE": -1}
    return sum(signs.get(line["type"], 0) * line["amount"] for line in payment["transactions"])


async def agreed(shop: Shop, order_id: str, token: str, status: str) -> dict[str, Any]:
    """Wait until the order is `status`, then hold the log and the history side by side."""
    order: dict[str, Any] = {}

    async def there() -> bool:
        order.update(await shop.order(order_id, token))
        return bool(order["status"] == status)

    await eventually(there)
    history = [entry["status"] for entry in order["statusHistory"]]
    assert history == story_of(order["payment"]), (history, order["payment"]["transactions"])
    assert refunded_by_log(order["payment"]) == order["payment"]["refundedAmount"]
    return order


@pytest.fixture
def fake_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with running_fake_stripe() as fake:
        monkeypatch.setenv("STRIPE_API_BASE", fake.base_url)
        yield fake


async def _shop(settings: Settings, resources: Resources) -> AsyncIterator[Shop]:
    app = build_platform_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        yield Shop(GraphQLClient(http), http, resources, Catalog(resources))


@pytest.fixture
async def local_shop(
    settings: Settings, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Shop]:
    monkeypatch.setenv("CHECKOUT_WAIT", "10s")
    monkeypatch.setenv("PAYMENTS_PROVIDER", "local")
    async for shop in _shop(settings, resources):
        yield shop


@pytest.fixture
async def stripe_shop(
    settings: Settings,
    resources: Resources,
    fake_stripe: FakeStripe,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Shop]:
    monkeypatch.setenv("CHECKOUT_WAIT", "10s")
    monkeypatch.delenv("PAYMENTS_PROVIDER", raising=False)
    stripe_settings = dataclasses.replace(
        settings, stripe_api_key=API_KEY, stripe_webhook_secret=WEBHOOK_SECRET
    )
    async for shop in _shop(stripe_settings, resources):
        yield shop


async def _product(shop: Shop, stock: int = 10) -> uuid.UUID:
    seller = await shop.catalog.seller()
    product = await shop.catalog.product(
        seller, "Linen Shirt", variants=[VariantSpec(sku="SHIRT-M", price=PRICE, stock=stock)]
    )
    (variant,) = await shop.catalog.variant_ids(product.id)
    return variant


async def test_paying_with_the_local_provider_then_a_partial_refund(local_shop: Shop) -> None:
    shop = local_shop
    variant = await _product(shop)
    customer = shop.catalog.customer()
    staff = shop.catalog.staff()
    order_id = await shop.checkout(customer.token, variant, "pay-1")

    async def payment_opened() -> bool:
        return (await shop.order(order_id, customer.token))["payment"] is not None

    await eventually(payment_opened)
    order = await agreed(shop, order_id, customer.token, "AWAITING_PAYMENT")
    payment = order["payment"]
    assert (payment["provider"], payment["status"]) == ("LOCAL", "REQUIRES_ACTION")
    assert (payment["amount"], payment["currency"]) == (TOTAL, "USD")
    assert payment["clientSecret"].startswith(payment["providerReference"])
    assert (await shop.order(order_id, staff.token))["payment"]["clientSecret"] is None
    assert await shop.stock(variant) == (10, QUANTITY)

    paid = await shop.ok(
        "mutation($id: ID!) { paymentSimulate(paymentId: $id, outcome: SUCCEED) "
        "{ payment { status capturedAmount } errors { code } } }",
        {"id": payment["id"]},
        customer.token,
    )

    assert paid["paymentSimulate"] == {
        "payment": {"status": "SUCCEEDED", "capturedAmount": TOTAL},
        "errors": [],
    }
    order = await agreed(shop, order_id, customer.token, "PAID")

    async def committed() -> bool:
        return await shop.stock(variant) == (10 - QUANTITY, 0)

    await eventually(committed)

    refused = await shop.ok(REFUND, {"id": payment["id"], "amount": TOTAL + 1}, staff.token)
    assert refused["paymentRefund"]["payment"] is None
    assert [(e["field"], e["code"]) for e in refused["paymentRefund"]["errors"]] == [
        ("amount", "AMOUNT_TOO_LARGE")
    ]
    assert await shop.order(order_id, customer.token) == order  # nothing changed
    by_customer = await shop.client.execute(
        REFUND, {"id": payment["id"], "amount": 100}, token=customer.token
    )
    assert by_customer.error_codes == ["FORBIDDEN"]

    refunded = await shop.ok(REFUND, {"id": payment["id"], "amount": 1000}, staff.token)

    assert refunded["paymentRefund"] == {
        "payment": {"status": "PARTIALLY_REFUNDED", "refundedAmount": 1000},
        "errors": [],
    }
    order = await agreed(shop, order_id, customer.token, "PARTIALLY_REFUNDED")
    assert [line["type"] for line in order["payment"]["transactions"]] == [
        "AUTHORIZATION_REQUEST",
        "CHARGE_SUCCESS",
        "REFUND_REQUEST",
        "REFUND_SUCCESS",
    ]
    assert await shop.stock(variant) == (10 - QUANTITY, 0)

    await shop.ok(REFUND, {"id": payment["id"]}, staff.token)
    order = await agreed(shop, order_id, customer.token, "REFUNDED")
    assert order["payment"]["refundedAmount"] == TOTAL


async def test_a_declined_local_payment_leaves_the_order_waiting_and_cancelling_refunds(
    local_shop: Shop,
) -> None:
    shop = local_shop
    variant = await _product(shop)
    customer = shop.catalog.customer()
    order_id = await shop.checkout(customer.token, variant, "pay-2")

    async def payment_opened() -> bool:
        return (await shop.order(order_id, customer.token))["payment"] is not None

    await eventually(payment_opened)
    payment_id = (await shop.order(order_id, customer.token))["payment"]["id"]
    simulate = (
        "mutation($id: ID!, $outcome: PaymentSimulationOutcome!) { paymentSimulate("
        "paymentId: $id, outcome: $outcome) { payment { status } errors { code } } }"
    )

    declined = await shop.ok(simulate, {"id": payment_id, "outcome": "FAIL"}, customer.token)
    order = await agreed(shop, order_id, customer.token, "AWAITING_PAYMENT")
    await shop.ok(simulate, {"id": payment_id, "outcome": "SUCCEED"}, customer.token)
    order = await agreed(shop, order_id, customer.token, "PAID")
    cancelled = await shop.ok(
        "mutation($id: ID!) { orderCancel(id: $id) { order { status } errors { code } } }",
        {"id": order_id},
        customer.token,
    )

    assert declined["paymentSimulate"]["payment"]["status"] == "FAILED"
    assert cancelled["orderCancel"]["order"]["status"] == "CANCELLED"

    async def refunded() -> bool:
        payment = (await shop.order(order_id, customer.token))["payment"]
        return bool(payment["status"] == "REFUNDED")

    await eventually(refunded)
    order = await shop.order(order_id, customer.token)
    assert [line["type"] for line in order["payment"]["transactions"]] == [
        "AUTHORIZATION_REQUEST",
        "CHARGE_FAILURE",
        "CHARGE_SUCCESS",
        "REFUND_REQUEST",
        "REFUND_SUCCESS",
    ]
    # Its cancellation asked for the refund: the order stays CANCELLED.
    assert [entry["status"] for entry in order["statusHistory"]] == [
        "PENDING",
        "AWAITING_PAYMENT",
        "PAID",
        "CANCELLED",
    ]


async def _webhook(shop: Shop, payload: bytes) -> httpx.Response:
    return await shop.http.post(
        "/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": sign(payload), "Content-Type": "application/json"},
    )


async def test_paying_with_stripe_driven_by_signed_webhooks(
    stripe_shop: Shop, fake_stripe: FakeStripe
) -> None:
    shop = stripe_shop
    variant = await _product(shop)
    customer = shop.catalog.customer()
    staff = shop.catalog.staff()
    # Stripe answers the intent's creation late: its webhook overtakes the answer, and
    # arrives before our row for the intent exists.
    fake_stripe.hold_creates = True
    order_id = await shop.checkout(customer.token, variant, "stripe-1")

    async def intent_created() -> bool:
        return fake_stripe.created.is_set()

    await eventually(intent_created)
    (intent_id,) = fake_stripe.intents
    succeeded = fake_stripe.event("payment_intent.succeeded", fake_stripe.pay(intent_id))
    early = await _webhook(shop, succeeded)
    assert early.json() == {"received": True, "outcome": "pending"}
    assert (await shop.order(order_id, customer.token))["payment"] is None

    fake_stripe.release()
    order = await agreed(shop, order_id, customer.token, "PAID")

    payment = order["payment"]
    assert (payment["provider"], payment["providerReference"]) == ("STRIPE", intent_id)
    assert payment["clientSecret"] == fake_stripe.intents[intent_id]["client_secret"]
    assert fake_stripe.intents[intent_id]["metadata"] == {"order_id": order_id}
    assert fake_stripe.intents[intent_id]["amount"] == TOTAL

    async def committed() -> bool:
        return await shop.stock(variant) == (10 - QUANTITY, 0)

    await eventually(committed)

    again = await _webhook(shop, succeeded)
    assert again.json() == {"received": True, "outcome": "duplicate"}
    order = await agreed(shop, order_id, customer.token, "PAID")
    assert [line["type"] for line in order["payment"]["transactions"]] == [
        "AUTHORIZATION_REQUEST",
        "CHARGE_SUCCESS",
    ]
    forged = await shop.http.post(
        "/webhooks/stripe",
        content=succeeded,
        headers={"Stripe-Signature": sign(succeeded, "whsec_forged")},
    )
    assert forged.status_code == 400

    refunded = await shop.ok(REFUND, {"id": payment["id"], "amount": 1500}, staff.token)
    assert refunded["paymentRefund"]["errors"] == []
    order = await agreed(shop, order_id, customer.token, "PARTIALLY_REFUNDED")
    (refund,) = fake_stripe.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (intent_id, 1500)
    # Stripe's own news of that refund, twice: counted already, nothing moves.
    news = fake_stripe.event("charge.refunded", fake_stripe.charge_of(intent_id))
    assert (await _webhook(shop, news)).json()["outcome"] == "applied"
    assert (await _webhook(shop, news)).json()["outcome"] == "duplicate"
    after = await agreed(shop, order_id, customer.token, "PARTIALLY_REFUNDED")
    assert after == order

    too_much = await shop.ok(REFUND, {"id": payment["id"], "amount": TOTAL}, staff.token)
    assert [e["code"] for e in too_much["paymentRefund"]["errors"]] == ["AMOUNT_TOO_LARGE"]
    assert len(fake_stripe.refunds) == 1
    assert await agreed(shop, order_id, customer.token, "PARTIALLY_REFUNDED") == order


async def _stripe_payment(shop: Shop, customer_token: str, variant: uuid.UUID, key: str) -> Any:
    order_id = await shop.checkout(customer_token, variant, key)

    async def payment_opened() -> bool:
        return (await shop.order(order_id, customer_token))["payment"] is not None

    await eventually(payment_opened)
    return order_id, (await shop.order(order_id, customer_token))["payment"]


async def _processed_by_orders(shop: Shop, *names: str) -> None:
    """Wait until the orders domain has handled an event of each name."""

    async def handled() -> bool:
        async with shop.resources.session_factory() as session:
            seen = set(
                (await session.scalars(text("SELECT name FROM orders.processed_events"))).all()
            )
        return set(names) <= seen

    await eventually(handled)


async def test_a_payment_that_succeeds_after_the_order_was_cancelled_is_refunded_once(
    stripe_shop: Shop, fake_stripe: FakeStripe
) -> None:
    shop = stripe_shop
    variant = await _product(shop)
    customer = shop.catalog.customer()
    order_id, payment = await _stripe_payment(shop, customer.token, variant, "late-1")
    intent_id = payment["providerReference"]
    # The card goes through at Stripe while the shopper, tired of waiting, cancels: our
    # cancellation reaches Stripe after the charge, and Stripe refuses it.
    charged = fake_stripe.pay(intent_id)
    cancelled = await shop.ok(
        "mutation($id: ID!) { orderCancel(id: $id) { order { status } errors { code } } }",
        {"id": order_id},
        customer.token,
    )
    assert cancelled["orderCancel"]["order"]["status"] == "CANCELLED"

    async def cancel_refused() -> bool:
        lines = (await shop.order(order_id, customer.token))["payment"]["transactions"]
        return "CANCEL_FAILURE" in [line["type"] for line in lines]

    await eventually(cancel_refused)
    succeeded = fake_stripe.event("payment_intent.succeeded", charged)

    first = await _webhook(shop, succeeded)
    again = await _webhook(shop, succeeded)
    # Stripe's news of the refund we made: counted already.
    news = fake_stripe.event("charge.refunded", fake_stripe.charge_of(intent_id))
    refund_news = await _webhook(shop, news)

    assert first.json()["outcome"] == "applied"
    assert again.json()["outcome"] == "duplicate"
    assert refund_news.json()["outcome"] == "applied"
    (refund,) = fake_stripe.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (intent_id, TOTAL)
    await _processed_by_orders(shop, "PaymentSucceeded", "PaymentRefunded")
    order = await shop.order(order_id, customer.token)
    assert order["status"] == "CANCELLED"
    assert [entry["status"] for entry in order["statusHistory"]] == [
        "PENDING",
        "AWAITING_PAYMENT",
        "CANCELLED",
    ]
    payment = order["payment"]
    assert (payment["status"], payment["capturedAmount"], payment["refundedAmount"]) == (
        "REFUNDED",
        TOTAL,
        TOTAL,
    )
    assert [(line["type"], line["amount"]) for line in payment["transactions"]] == [
        ("AUTHORIZATION_REQUEST", TOTAL),
        ("CANCEL_REQUEST", TOTAL),
        ("CANCEL_FAILURE", TOTAL),
        ("CHARGE_SUCCESS", TOTAL),
        ("REFUND_REQUEST", TOTAL),
        ("REFUND_SUCCESS", TOTAL),
    ]
    assert payment["transactions"][-1]["providerReference"] == refund["id"]

    async def stock_back() -> bool:
        return await shop.stock(variant) == (10, 0)

    await eventually(stock_back)


async def test_a_refund_that_fails_later_at_stripe_is_undone_and_can_be_retried(
    stripe_shop: Shop, fake_stripe: FakeStripe
) -> None:
    shop = stripe_shop
    variant = await _product(shop)
    customer = shop.catalog.customer()
    staff = shop.catalog.staff()
    order_id, payment = await _stripe_payment(shop, customer.token, variant, "refund-fails")
    intent_id = payment["providerReference"]
    await _webhook(shop, fake_stripe.event("payment_intent.succeeded", fake_stripe.pay(intent_id)))
    await agreed(shop, order_id, customer.token, "PAID")
    fake_stripe.refund_status = "pending"  # as Stripe answers for many cards

    first = await shop.ok(REFUND, {"id": payment["id"], "amount": 1000}, staff.token)
    rest = await shop.ok(REFUND, {"id": payment["id"]}, staff.token)
    assert first["paymentRefund"]["errors"] == rest["paymentRefund"]["errors"] == []
    await agreed(shop, order_id, customer.token, "REFUNDED")
    small, large = sorted(fake_stripe.refunds.values(), key=lambda refund: refund["amount"])
    assert (small["amount"], large["amount"]) == (1000, TOTAL - 1000)

    # Days later the bank sends the larger one back: Stripe says so in two events.
    failed = fake_stripe.fail_refund(large["id"], "expired_or_canceled_card")
    refund_failed = fake_stripe.event("refund.failed", failed)
    refund_updated = fake_stripe.event("charge.refund.updated", failed)
    outcomes = [
        (await _webhook(shop, payload)).json()["outcome"]
        for payload in (refund_failed, refund_failed, refund_updated)
    ]

    assert outcomes == ["applied", "duplicate", "applied"]
    order = await agreed(shop, order_id, customer.token, "PARTIALLY_REFUNDED")
    payment = order["payment"]
    assert (payment["status"], payment["refundedAmount"]) == ("PARTIALLY_REFUNDED", 1000)
    (failure,) = [line for line in payment["transactions"] if line["type"] == "REFUND_FAILURE"]
    assert (failure["amount"], failure["providerReference"]) == (TOTAL - 1000, large["id"])
    assert "expired_or_canceled_card" in failure["message"]
    assert [entry["status"] for entry in order["statusHistory"]][-2:] == [
        "REFUNDED",
        "PARTIALLY_REFUNDED",
    ]

    # The smaller one fails too: nothing went back, the order is PAID again.
    await _webhook(shop, fake_stripe.event("refund.failed", fake_stripe.fail_refund(small["id"])))
    order = await agreed(shop, order_id, customer.token, "PAID")
    assert (order["payment"]["status"], order["payment"]["refundedAmount"]) == ("SUCCEEDED", 0)

    # Staff try again, for all of it: allowed, since nothing counts against it now.
    fake_stripe.refund_status = "succeeded"
    retried = await shop.ok(REFUND, {"id": payment["id"]}, staff.token)
    assert retried["paymentRefund"] == {
        "payment": {"status": "REFUNDED", "refundedAmount": TOTAL},
        "errors": [],
    }
    order = await agreed(shop, order_id, customer.token, "REFUNDED")
    assert [entry["status"] for entry in order["statusHistory"]] == [
        "PENDING",
        "AWAITING_PAYMENT",
        "PAID",
        "PARTIALLY_REFUNDED",
        "REFUNDED",
        "PARTIALLY_REFUNDED",
        "PAID",
        "REFUNDED",
    ]


def _reconcile(settings: Settings, fake: FakeStripe) -> subprocess.CompletedProcess[str]:
    """`shopgraph payments reconcile` as an operator runs it: its own process."""
    assert settings.database_url is not None
    assert settings.redis_url is not None
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "JWT_", "STRIPE_", "PAYMENTS_"))
    }
    env.update(
        APP_ENV="test",
        LOG_FORMAT="text",
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        REDIS_KEY_PREFIX=settings.redis_key_prefix,
        STRIPE_API_KEY=API_KEY,
        STRIPE_API_BASE=fake.base_url,
    )
    return subprocess.run(
        [sys.executable, "-m", "shopgraph.cli", "payments", "reconcile"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
async def test_the_reconcile_command_applies_a_missed_webhook(
    stripe_shop: Shop, fake_stripe: FakeStripe, settings: Settings
) -> None:
    shop = stripe_shop
    variant = await _product(shop)
    customer = shop.catalog.customer()
    order_id, payment = await _stripe_payment(shop, customer.token, variant, "missed-1")
    # The shopper paid; Stripe's webhook never reached us.
    fake_stripe.pay(payment["providerReference"])
    await asyncio.sleep(0.2)
    assert (await shop.order(order_id, customer.token))["status"] == "AWAITING_PAYMENT"

    first = await asyncio.to_thread(_reconcile, settings, fake_stripe)
    again = await asyncio.to_thread(_reconcile, settings, fake_stripe)

    assert first.returncode == 0, first.stderr
    assert first.stdout == "stripe: 1 open payments checked, 1 updated, 0 could not be read\n"
    assert again.returncode == 0, again.stderr
    assert again.stdout == "stripe: 0 open payments checked, 0 updated, 0 could not be read\n"
    # Where the webhook would have left them: paid, stock committed, the same log.
    order = await agreed(shop, order_id, customer.token, "PAID")
    assert (order["payment"]["status"], order["payment"]["capturedAmount"]) == (
        "SUCCEEDED",
        TOTAL,
    )
    assert [line["type"] for line in order["payment"]["transactions"]] == [
        "AUTHORIZATION_REQUEST",
        "CHARGE_SUCCESS",
    ]

    async def committed() -> bool:
        return await shop.stock(variant) == (10 - QUANTITY, 0)

    await eventually(committed)

    # An intent Stripe no longer knows: reported, and the command fails.
    _, vanished = await _stripe_payment(shop, customer.token, variant, "missed-2")
    del fake_stripe.intents[vanished["providerReference"]]
    failed = await asyncio.to_thread(_reconcile, settings, fake_stripe)
    assert failed.returncode == 1
    assert failed.stdout == "stripe: 1 open payments checked, 0 updated, 1 could not be read\n"
    assert f"reconciling payment {vanished['id']} failed" in failed.stderr
