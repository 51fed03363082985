"""A stand-in for the storefront's revalidation route: a real HTTP server on a thread,
recording every call, answering 503 to the first `failures` of them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class RevalidateCall:
    path: str
    secret: str | None
    body: dict[str, Any]

    @property
    def tags(self) -> list[str]:
        return list(self.body.get("tags", []))


@dataclass
class FakeStorefront:
    url: str
    failures: int = 0
    calls: list[RevalidateCall] = field(default_factory=list)
    refused: int = 0

    def tagged(self, tag: str) -> list[RevalidateCall]:
        return [call for call in list(self.calls) if tag in call.tags]


@contextmanager
def fake_storefront(*, failures: int = 0) -> Iterator[FakeStorefront]:
    lock = threading.Lock()
    storefront = FakeStorefront(url="", failures=failures)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            with lock:
                if storefront.refused < storefront.failures:
                    storefront.refused += 1
                    status = 503
                else:
                    storefront.calls.append(
                        RevalidateCall(self.path, self.headers.get("x-revalidate-secret"), body)
                    )
                    status = 200
            payload = json.dumps({"revalidated": status == 200}).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    storefront.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-storefront", daemon=True)
    thread.start()
    try:
        yield storefront
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
