"""Helpers for the gateway edge tests: a gateway over the test topology, and real serving.

`topology_gateway(**config)` builds our gateway over the five topology subgraphs executed
in-process (no sockets), with any GatewayConfig field overridden. `serve_app(app)` serves
any ASGI app, lifespan included, on a port of its own in a background thread, for clients
that need a URL (node tools, Chromium, the gateway's HTTP client).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from gateway.app import GatewayConfig, build_gateway_app
from gateway.federation.composition import compose
from tests.federation.topology import SUBGRAPHS, subgraph_sdl

REPO_ROOT = Path(__file__).resolve().parents[2]
OPERATIONS_DIR = REPO_ROOT / "schema" / "operations"
STARTUP_TIMEOUT_S = 20.0


class SchemaSubgraph:
    """A topology subgraph executed in-process; records the headers it was sent."""

    def __init__(self, schema: Any) -> None:
        self._schema = schema
        self.headers_seen: list[dict[str, str]] = []

    async def execute(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        self.headers_seen.append(dict(headers))
        result = await self._schema.execute(document, variable_values=dict(variables))
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        return response


def topology_supergraph() -> str:
    return compose(
        {name: (f"http://{name}.invalid/graphql", subgraph_sdl(name)) for name in SUBGRAPHS}
    )


def topology_gateway(**overrides: Any) -> Starlette:
    subgraphs = overrides.pop("subgraphs", None) or {
        name: SchemaSubgraph(schema) for name, schema in SUBGRAPHS.items()
    }
    return build_gateway_app(
        GatewayConfig(supergraph_sdl=topology_supergraph(), subgraphs=subgraphs, **overrides)
    )


@contextlib.asynccontextmanager
async def client_of(
    app: Starlette, base_url: str = "http://gateway.test"
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the app, inside its lifespan."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as client,
    ):
        yield client


@contextlib.contextmanager
def serve_app(app: ASGIApp, **uvicorn_options: Any) -> Iterator[str]:
    """Serve the app (with its lifespan) on 127.0.0.1; yield its base URL.

    `uvicorn_options` go to uvicorn.Config, over the defaults below: `http="h11"`,
    `timeout_keep_alive=1`, ...
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    options: dict[str, Any] = {
        "lifespan": "on",
        "log_config": None,
        "log_level": "warning",
        "access_log": False,
        "ws": "none",
        "timeout_graceful_shutdown": 1,
    }
    server = uvicorn.Server(uvicorn.Config(app, **(options | uvicorn_options)))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as error:  # reported below
            failure.append(error)

    thread = threading.Thread(target=run, name="served-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while not server.started:
            if failure or not thread.is_alive():
                raise RuntimeError("the app failed to start") from (failure[0] if failure else None)
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start within {STARTUP_TIMEOUT_S}s")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
