"""Log lines: JSON with request and trace ids, and no secrets, even when code logs them:
through a sign-in, and through a full checkout with SQL logging on."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider

from domains.kit.config import Settings
from domains.kit.resources import Resources
from domains.kit.tracing import request_id_var
from shopgraph.logs import REDACTED, JsonFormatter, scrub
from shopgraph.platform import build_platform_app
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.tracing import sdk_tracer_provider

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwicm9sZXMiOltdfQ."
    "c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
)


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (f"token issued: {JWT}", JWT),
        ("Authorization: Bearer abcdefghijklmnop", "abcdefghijklmnop"),
        ("login password=hunter2hunter2 ok", "hunter2hunter2"),
        ('{"email": "a@b.c", "password": "correct horse battery"}', "correct horse battery"),
        ("refresh_token=Qx7-s3cr3t-refresh-value", "Qx7-s3cr3t-refresh-value"),
        ("stripe key sk_live_51HxYzAbCdEfGhIjK", "sk_live_51HxYzAbCdEfGhIjK"),
        ("sendgrid SG.abcdefghij.klmnopqrstuv", "SG.abcdefghij.klmnopqrstuv"),
        ("partner key sgp_4f9c2a7d1e8b3c6a9f0e", "sgp_4f9c2a7d1e8b3c6a9f0e"),
        ("card 4242 4242 4242 4242 declined", "4242 4242 4242 4242"),
        ("card 4000056655665556 declined", "4000056655665556"),
    ],
)
def test_secrets_are_scrubbed(line: str, secret: str) -> None:
    scrubbed = scrub(line)

    assert secret not in scrubbed
    assert REDACTED in scrubbed


def test_ordinary_lines_are_left_alone() -> None:
    line = "order 1001 for 3 items shipped to Berlin at 2026-11-24T10:00:00Z (5 ms)"

    assert scrub(line) == line


def test_json_lines_carry_the_request_and_trace_ids() -> None:
    record = logging.LogRecord(
        "shopgraph.test", logging.INFO, __file__, 1, "hello %s", ("you",), None
    )
    tracer = TracerProvider().get_tracer("tests")
    token = request_id_var.set("req-123")
    try:
        with tracer.start_as_current_span("work") as span:
            line = JsonFormatter().format(record)
            trace_id = format(span.get_span_context().trace_id, "032x")
    finally:
        request_id_var.reset(token)

    entry = json.loads(line)
    assert entry["message"] == "hello you"
    assert entry["level"] == "INFO"
    assert entry["request_id"] == "req-123"
    assert entry["trace_id"] == trace_id


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[_Capture]:
    handler = _Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


async def test_a_sign_in_journey_logs_no_secret(
    settings: Settings, resources: object, captured: _Capture
) -> None:
    app = build_platform_app(settings)
    password = "a rather long passphrase"
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        await http.post(
            "/graphql",
            json={
                "query": (
                    'mutation { accountRegister(input: {email: "log@example.com", '
                    f'password: "{password}", name: "Lo"}}) {{ errors {{ code }} }} }}'
                )
            },
        )
        signed_in = (
            await http.post(
                "/graphql",
                json={
                    "query": (
                        'mutation { tokenCreate(email: "log@example.com", '
                        f'password: "{password}") {{ accessToken refreshToken }} }}'
                    )
                },
            )
        ).json()["data"]["tokenCreate"]
        access, refresh = signed_in["accessToken"], signed_in["refreshToken"]
        await http.post(
            "/graphql",
            json={"query": "{ me { name } }"},
            headers={"Authorization": f"Bearer {access}"},
        )
        # Code that logs a secret by mistake is caught by the scrubbing as well.
        logging.getLogger("shopgraph.test").warning(
            "careless: token=%s password=%r refresh_token=%s", access, password, refresh
        )

    assert captured.lines, "the journey produced log lines"
    everything = "\n".join(captured.lines)
    for secret in (password, access, refresh):
        assert secret not in everything
    assert all(json.loads(line)["level"] for line in captured.lines)


CARD = "4242 4242 4242 4242"
PARTNER_KEY = "sgp_Zk4q9Rw2Lm7Xc5Vb8Nt3"
CHECKOUT = """
mutation($cart: ID!, $address: ShippingAddressInput!, $key: String!) {
  checkoutComplete(cartId: $cart, shippingAddress: $address, idempotencyKey: $key) {
    status orderId errors { code message }
  }
}
"""


@pytest.fixture
def traced() -> None:
    """Trace ids exist only with an SDK tracer provider (as with an OTLP endpoint set); the
    global one can be set once per process, so keep whichever is there."""
    sdk_tracer_provider()


@pytest.fixture
def sql_logged() -> Iterator[None]:
    """SQL statements with their parameters: what an operator switches on to debug, and
    the likeliest place for a secret to leak."""
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    previous = engine_logger.level
    engine_logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        engine_logger.setLevel(previous)


async def test_a_full_checkout_logs_request_and_trace_ids_and_no_secret(
    settings: Settings,
    resources: Resources,
    monkeypatch: pytest.MonkeyPatch,
    traced: None,
    sql_logged: None,
    captured: _Capture,
) -> None:
    monkeypatch.setenv("CHECKOUT_WAIT", "10s")
    catalog = Catalog(resources)
    seller = await catalog.seller()
    shirt = await catalog.product(
        seller, "Linen Shirt", variants=[VariantSpec(sku="LOG-SHIRT", price=2500, stock=5)]
    )
    (variant_id,) = await catalog.variant_ids(shirt.id)
    password = "correct horse battery staple"
    address = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "streetAddress1": "1 Analytical Way",
        # A customer who types card data into a free-text field.
        "streetAddress2": f"card {CARD}",
        "city": "London",
        "postalCode": "N1 7AA",
        "countryCode": "GB",
    }
    app = build_platform_app(settings)
    captured.lines.clear()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):

        async def call(
            query: str,
            variables: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None,
        ) -> tuple[dict[str, Any], str]:
            response = await http.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers=headers or {},
            )
            return response.json(), response.headers["x-request-id"]

        registered, _ = await call(
            'mutation($p: String!) { accountRegister(input: {email: "buyer@example.com", '
            'password: $p, name: "Buyer"}) { errors { code } } }',
            {"p": password},
        )
        assert registered["data"]["accountRegister"]["errors"] == []
        signed_in, _ = await call(
            'mutation($p: String!) { tokenCreate(email: "buyer@example.com", password: $p) '
            "{ accessToken refreshToken } }",
            {"p": password},
        )
        first_refresh = signed_in["data"]["tokenCreate"]["refreshToken"]
        refreshed, _ = await call(
            "mutation($r: String!) { tokenRefresh(refreshToken: $r) "
            "{ accessToken refreshToken errors { code } } }",
            {"r": first_refresh},
        )
        access = refreshed["data"]["tokenRefresh"]["accessToken"]
        refresh = refreshed["data"]["tokenRefresh"]["refreshToken"]
        bearer = {"Authorization": f"Bearer {access}"}
        created, _ = await call(
            "mutation($lines: [CartLineInput!]) { cartCreate(lines: $lines) "
            "{ cart { id } errors { code } } }",
            {"lines": [{"variantId": str(variant_id), "quantity": 1}]},
            bearer,
        )
        cart_id = created["data"]["cartCreate"]["cart"]["id"]
        checkout, checkout_request = await call(
            CHECKOUT, {"cart": cart_id, "address": address, "key": "log-1"}, bearer
        )
        assert checkout["data"]["checkoutComplete"]["errors"] == []
        assert checkout["data"]["checkoutComplete"]["status"] == "AWAITING_PAYMENT"
        await call("{ me { orders { edges { node { status } } } } }", None, bearer)
        # A partner key the gateway does not know: refused, and not written down either.
        await call(
            "{ products(first: 1) { edges { node { id } } } }", None, {"X-Api-Key": PARTNER_KEY}
        )

    entries = [json.loads(line) for line in captured.lines]
    everything = "\n".join(captured.lines)
    for secret in (password, first_refresh, access, refresh, PARTNER_KEY, CARD):
        assert secret not in everything
    assert "4242424242424242" not in everything.replace(" ", "")
    # The checkout's own lines (its SQL, in every subgraph it reached) carry its request id
    # and one trace id.
    checkout_lines = [entry for entry in entries if entry.get("request_id") == checkout_request]
    assert checkout_lines, "the checkout request's lines carry its request id"
    assert {entry.get("trace_id") for entry in checkout_lines} - {None}
    assert len({entry["trace_id"] for entry in checkout_lines if "trace_id" in entry}) == 1
    assert {entry["logger"] for entry in checkout_lines} >= {"sqlalchemy.engine.Engine"}
