"""Log lines: JSON with request and trace ids, and no secrets, even when code logs them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider

from domains.kit.config import Settings
from domains.kit.tracing import request_id_var
from shopgraph.logs import REDACTED, JsonFormatter, scrub
from shopgraph.platform import build_platform_app

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
