"""A stand-in for api.stripe.com, for tests: the endpoints the payments domain calls,
served over real HTTP on 127.0.0.1 so the real `stripe` library talks to it, and events
signed the way Stripe signs webhooks. No request leaves the machine."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

WEBHOOK_SECRET = "whsec_test_" + "s" * 24
API_KEY = "sk_test_shopgraph"


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None) -> str:
    """Stripe's scheme: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">`."""
    at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _nested(form: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`metadata[order_id]=...`) back into a dict."""
    out: dict[str, Any] = {}
    for key, value in form:
        parts = key.replace("]", "").split("[")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


@dataclass
class FakeStripe:
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    _by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # While set, creating an intent answers only after `release()`: the intent exists at
    # "Stripe" while the caller has not heard back (and has no row for it yet).
    hold_creates: bool = False
    created: threading.Event = field(default_factory=threading.Event)
    _released: threading.Event = field(default_factory=threading.Event)
    base_url: str = ""
    # What a new refund's status is: Stripe answers `pending` for many payment methods.
    refund_status: str = "succeeded"

    def release(self) -> None:
        self._released.set()

    # ------------------------------------------------------------ what Stripe does

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}{secrets.token_hex(4)}"

    def create_intent(self, params: dict[str, Any], key: str | None) -> dict[str, Any]:
        with self._lock:
            if key is not None and key in self._by_key:
                return dict(self._by_key[key])
            intent_id = self._new_id("pi")
            intent = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "amount_received": 0,
                "currency": params["currency"],
                "status": "requires_payment_method",
                "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
                "metadata": params.get("metadata", {}),
                "last_payment_error": None,
                "latest_charge": None,
            }
            self.intents[intent_id] = intent
            snapshot = dict(intent)
            if key is not None:
                self._by_key[key] = snapshot
        self.created.set()
        if self.hold_creates:
            self._released.wait(timeout=30)
        return snapshot

    def refund(self, params: dict[str, Any], key: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if key is not None and key in self._by_key:
                return 200, dict(self._by_key[key])
            intent = self.intents.get(str(params.get("payment_intent")))
            if intent is None or intent["status"] != "succeeded":
                return 400, _error("charge_not_refundable", "This PaymentIntent has no charge.")
            amount = int(params.get("amount") or intent["amount_received"])
            refunded = self._refunded(intent["id"])
            if refunded + amount > intent["amount_received"]:
                return 400, _error(
                    "amount_too_large", "Refund amount is greater than unrefunded amount."
                )
            refund = {
                "id": self._new_id("re"),
                "object": "refund",
                "amount": amount,
                "currency": intent["currency"],
                "payment_intent": intent["id"],
                "charge": intent["latest_charge"],
                "status": self.refund_status,
                "failure_reason": None,
            }
            self.refunds[refund["id"]] = refund
            if key is not None:
                self._by_key[key] = refund
            return 200, dict(refund)

    # ------------------------------------------------------------ what a test plays

    def pay(self, intent_id: str, *, amount: int | None = None) -> dict[str, Any]:
        """The shopper confirmed with Stripe.js and the card went through."""
        intent = self.intents[intent_id]
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"] if amount is None else amount
        intent["latest_charge"] = self._new_id("ch")
        return dict(intent)

    def decline(self, intent_id: str) -> dict[str, Any]:
        intent = self.intents[intent_id]
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = {
            "code": "card_declined",
            "message": "Your card was declined.",
        }
        return dict(intent)

    def _refunded(self, intent_id: str) -> int:
        """What went back: a failed or canceled refund returned nothing."""
        return sum(
            r["amount"]
            for r in self.refunds.values()
            if r["payment_intent"] == intent_id and r["status"] not in ("failed", "canceled")
        )

    def fail_refund(
        self, refund_id: str, reason: str = "expired_or_canceled_card"
    ) -> dict[str, Any]:
        """The card's bank sent the refund back, days later (Stripe: pending -> failed)."""
        refund = self.refunds[refund_id]
        refund["status"] = "failed"
        refund["failure_reason"] = reason
        return dict(refund)

    def charge_of(self, intent_id: str) -> dict[str, Any]:
        intent = self.intents[intent_id]
        refunded = self._refunded(intent_id)
        return {
            "id": intent["latest_charge"],
            "object": "charge",
            "payment_intent": intent_id,
            "amount": intent["amount_received"],
            "amount_refunded": refunded,
            "currency": intent["currency"],
            "refunded": refunded == intent["amount_received"],
        }

    def event(self, type_: str, obj: dict[str, Any], *, event_id: str | None = None) -> bytes:
        return json.dumps(
            {
                "id": event_id or self._new_id("evt"),
                "object": "event",
                "api_version": "2025-01-27.acacia",
                "created": int(time.time()),
                "type": type_,
                "livemode": False,
                "data": {"object": obj},
            }
        ).encode()


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    stripe: FakeStripe

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_fake")
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self._answer(401, _error("api_key_invalid", "Invalid API Key provided."))
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorised():
            return
        self.stripe.requests.append(("GET", self.path, None))
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["v1", "payment_intents"]:
            intent = self.stripe.intents.get(parts[2])
            if intent is None:
                self._answer(404, _error("resource_missing", "No such payment_intent"))
            else:
                self._answer(200, dict(intent))
            return
        self._answer(404, _error("resource_missing", f"Unrecognized request URL {self.path}"))

    def do_POST(self) -> None:
        if not self._authorised():
            return
        length = int(self.headers.get("Content-Length") or 0)
        params = _nested(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
        key = self.headers.get("Idempotency-Key")
        self.stripe.requests.append(("POST", self.path, key))
        parts = self.path.strip("/").split("/")
        if parts == ["v1", "payment_intents"]:
            self._answer(200, self.stripe.create_intent(params, key))
        elif len(parts) == 4 and parts[:2] == ["v1", "payment_intents"] and parts[3] == "cancel":
            intent = self.stripe.intents.get(parts[2])
            if intent is None:
                self._answer(404, _error("resource_missing", "No such payment_intent"))
            elif intent["status"] == "succeeded":
                self._answer(
                    400,
                    _error("payment_intent_unexpected_state", "This PaymentIntent succeeded."),
                )
            else:
                intent["status"] = "canceled"
                self._answer(200, dict(intent))
        elif parts == ["v1", "refunds"]:
            status, body = self.stripe.refund(params, key)
            self._answer(status, body)
        else:
            self._answer(404, _error("resource_missing", f"Unrecognized request URL {self.path}"))


@contextmanager
def running_fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    handler = type("Handler", (_Handler,), {"stripe": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release()
        server.shutdown()
        server.server_close()
        thread.join()
