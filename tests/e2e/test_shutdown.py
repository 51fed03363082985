"""SIGTERM during a slow request: it completes, new requests are refused, exit code 0."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from tests.federation.topology import SUBGRAPHS, supergraph_sdl
from tests.support.subgraph_servers import graphql_app, serve_subgraphs, supergraph_with_urls

ROOT = Path(__file__).resolve().parents[2]
SLOW_SECONDS = 2.0


class _Slow:
    """The products subgraph, answering after a pause."""

    def __init__(self) -> None:
        self._app = graphql_app(SUBGRAPHS["products"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(SLOW_SECONDS)
        await self._app(scope, receive, send)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    subgraphs = {name: graphql_app(schema) for name, schema in SUBGRAPHS.items()}
    subgraphs["products"] = _Slow()
    with serve_subgraphs(subgraphs) as urls:
        supergraph = tmp_path / "supergraph.graphql"
        supergraph.write_text(supergraph_with_urls(supergraph_sdl(), urls))
        with socket_port() as port:
            pass
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shopgraph.cli",
                "gateway",
                "--supergraph",
                str(supergraph),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if (
                        httpx.post(url, json={"query": "{ me { name } }"}, timeout=2).status_code
                        == 200
                    ):
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield process, url
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


class socket_port:
    def __enter__(self) -> int:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        return int(self._sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self._sock.close()


@pytest.mark.slow
def test_sigterm_lets_the_request_in_flight_finish(
    gateway: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = gateway
    result: dict[str, httpx.Response] = {}

    def slow_request() -> None:
        result["response"] = httpx.post(
            url, json={"query": "{ topProducts(first: 1) { name } }"}, timeout=30
        )

    in_flight = threading.Thread(target=slow_request)
    in_flight.start()
    time.sleep(SLOW_SECONDS / 2)  # the request is now waiting on the slow subgraph
    process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    with pytest.raises(httpx.TransportError):
        httpx.post(url, json={"query": "{ me { name } }"}, timeout=2)
    in_flight.join(timeout=30)
    exit_code = process.wait(timeout=30)

    response = result["response"]
    assert response.status_code == 200
    assert response.json() == {"data": {"topProducts": [{"name": "Difference Engine Manual"}]}}
    assert exit_code == 0
