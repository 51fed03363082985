"""A stand-in for Stripe's Tax Calculations API, for tests: served over real HTTP on
127.0.0.1 so the real `stripe` library talks to it, recording every request as the form
fields it sent. Its rates are a small made-up table (New York, Germany), not Stripe's."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_shopgraph_tax"
# Stripe embeds this many items of a list in the object that holds it.
EMBEDDED_PAGE = 10

# (display name, level, percentage, taxability reason) per destination.
NEW_YORK_CITY = [
    ("New York", "state", "4.0", "standard_rated"),
    ("New York City", "city", "4.5", "standard_rated"),
    ("Metropolitan Commuter Transportation District", "district", "0.375", "standard_rated"),
    # A county where the account is not registered: shown, not collected.
    ("Kings County", "county", "1.0", "not_collecting"),
]
GERMANY = [("Germany", "country", "19.0", "standard_rated")]
GERMANY_REDUCED = [("Germany", "country", "7.0", "reduced_rated")]


@dataclass
class Request:
    method: str
    path: str
    authorization: str | None
    form: list[tuple[str, str]]  # the form fields (or query parameters), in order

    @property
    def fields(self) -> dict[str, str]:
        return dict(self.form)


@dataclass
class FakeStripeTax:
    base_url: str = ""
    requests: list[Request] = field(default_factory=list)
    # Line references taxed at Germany's reduced rate (books, food).
    reduced: set[str] = field(default_factory=set)
    # While set, every calculation is refused with this (status, error body).
    refusal: tuple[int, dict[str, Any]] | None = None
    # References the answer leaves out (a broken answer).
    dropped: set[str] = field(default_factory=set)
    line_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def calculate(self, form: list[tuple[str, str]]) -> tuple[int, dict[str, Any]]:
        if self.refusal is not None:
            return self.refusal
        fields = dict(form)
        country = fields["customer_details[address][country]"]
        state = fields.get("customer_details[address][state]", "")
        expanded = [value for key, value in form if key.startswith("expand[")]
        with_breakdown = "line_items.data.tax_breakdown" in expanded
        calculation_id = f"taxcalc_test_{len(self.line_items) + 1}"
        items = []
        index = 0
        while f"line_items[{index}][amount]" in fields:
            prefix = f"line_items[{index}]"
            reference = fields[f"{prefix}[reference]"]
            amount = int(fields[f"{prefix}[amount]"])
            parts = _rates(country, state, reduced=reference in self.reduced)
            if reference not in self.dropped:
                items.append(
                    {
                        "id": f"tax_li_{index + 1:04d}",
                        "object": "tax.calculation_line_item",
                        "amount": amount,
                        "amount_tax": 0,
                        "livemode": False,
                        "product": None,
                        "quantity": int(fields[f"{prefix}[quantity]"]),
                        "reference": reference,
                        "tax_behavior": fields[f"{prefix}[tax_behavior]"],
                        "tax_code": "txcd_99999999",
                        # Stripe leaves it out unless the request expands it.
                        "tax_breakdown": _breakdown(parts, amount) if with_breakdown else None,
                    }
                )
            index += 1
        with self._lock:
            self.line_items[calculation_id] = items
        shipping_cost = None
        if "shipping_cost[amount]" in fields:
            amount = int(fields["shipping_cost[amount]"])
            # Germany taxes shipping at the standard rate; New York's is left untaxed here.
            taxed = country == "DE"
            shipping_cost = {
                "amount": amount,
                "amount_tax": 0,
                "shipping_rate": None,
                "tax_behavior": fields["shipping_cost[tax_behavior]"],
                "tax_breakdown": _breakdown(GERMANY, amount)
                if taxed
                else [_part("New York", "state", None, "not_subject_to_tax", amount)],
                "tax_code": "txcd_92010001",
            }
        return 200, {
            "id": calculation_id,
            "object": "tax.calculation",
            "currency": fields["currency"],
            "customer_details": {"address_source": "shipping"},
            "line_items": _page(calculation_id, items[:EMBEDDED_PAGE], len(items) > EMBEDDED_PAGE),
            "livemode": False,
            "shipping_cost": shipping_cost,
            "tax_breakdown": [],
        }

    def more_line_items(
        self, calculation_id: str, query: list[tuple[str, str]]
    ) -> tuple[int, dict[str, Any]]:
        items = self.line_items.get(calculation_id)
        if items is None:
            return 404, _error("resource_missing", f"No such tax.calculation: {calculation_id}")
        fields = dict(query)
        after = fields.get("starting_after")
        start = next((n + 1 for n, item in enumerate(items) if item["id"] == after), 0)
        limit = int(fields.get("limit", "10"))
        rest = items[start : start + limit]
        return 200, _page(calculation_id, rest, start + limit < len(items))


def _rates(country: str, state: str, *, reduced: bool) -> list[tuple[str, str, str, str]]:
    if country == "US" and state == "NY":
        return NEW_YORK_CITY
    if country == "DE":
        return GERMANY_REDUCED if reduced else GERMANY
    return []


def _part(
    name: str, level: str, percentage: str | None, reason: str, amount: int
) -> dict[str, Any]:
    return {
        "amount": 0,
        "jurisdiction": {"country": "", "display_name": name, "level": level, "state": None},
        "sourcing": "destination",
        "tax_rate_details": None
        if percentage is None
        else {"display_name": "Tax", "percentage_decimal": percentage, "tax_type": "sales_tax"},
        "taxability_reason": reason,
        "taxable_amount": amount,
    }


def _breakdown(parts: list[tuple[str, str, str, str]], amount: int) -> list[dict[str, Any]]:
    return [_part(name, level, rate, reason, amount) for name, level, rate, reason in parts]


def _page(calculation_id: str, items: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "has_more": has_more,
        "url": f"/v1/tax/calculations/{calculation_id}/line_items",
    }


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    stripe: FakeStripeTax

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_fake_tax")
        self.end_headers()
        self.wfile.write(data)

    def _record(self, form: list[tuple[str, str]]) -> str:
        path = urlsplit(self.path).path
        self.stripe.requests.append(
            Request(self.command, path, self.headers.get("Authorization"), form)
        )
        return path

    def do_GET(self) -> None:
        query = parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
        parts = self._record(query).strip("/").split("/")
        if (
            len(parts) == 5
            and parts[:3] == ["v1", "tax", "calculations"]
            and parts[4] == ("line_items")
        ):
            self._answer(*self.stripe.more_line_items(parts[3], query))
        else:
            self._answer(404, _error("resource_missing", f"Unrecognized request URL {self.path}"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
        path = self._record(form)
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self._answer(401, _error("api_key_invalid", "Invalid API Key provided."))
        elif path == "/v1/tax/calculations":
            self._answer(*self.stripe.calculate(form))
        else:
            self._answer(404, _error("resource_missing", f"Unrecognized request URL {self.path}"))


@contextmanager
def running_fake_stripe_tax() -> Iterator[FakeStripeTax]:
    fake = FakeStripeTax()
    handler = type("Handler", (_Handler,), {"stripe": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll, so that shutting the server down at the end of a test is quick.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
