"""Serve subgraphs over real HTTP, in this process, for gateways that need URLs.

A gateway under test (Apollo's in node, or ours) reaches subgraphs the way it would in
production: over TCP. :func:`serve_subgraphs` starts one uvicorn server per subgraph,
all on one event loop in one background thread, each on a port the OS picked (the
socket is bound before uvicorn starts, so there is no window in which another process
can take the port), and yields ``{name: url}``; :func:`supergraph_with_urls` then
points a supergraph's ``@join__graph`` URLs at them.

Pass a :class:`RequestLog` to record every request the subgraphs receive: which
subgraph, the query and the variables. Comparing the logs of two gateways shows
whether they fetched the same things, which responses alone cannot (a gateway
that ignores @provides still answers correctly, with one more fetch).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry import Schema
from strawberry.asgi import GraphQL

GRAPHQL_PATH = "/graphql"
STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0

# How Apollo's composition prints each subgraph in the supergraph's join__Graph enum.
_JOIN_GRAPH = re.compile(
    r'@join__graph\(\s*name:\s*"(?P<name>[^"\\]*)"\s*,\s*url:\s*"(?P<url>[^"\\]*)"\s*\)'
)


@dataclass(frozen=True)
class SubgraphRequest:
    """One request a subgraph received, as the gateway sent it."""

    subgraph: str
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    headers: dict[str, str]


class RequestLog:
    """Requests received by served subgraphs, in arrival order; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[SubgraphRequest] = []

    def append(self, request: SubgraphRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def requests(self) -> list[SubgraphRequest]:
        with self._lock:
            return list(self._requests)

    def count_by_subgraph(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for request in self.requests:
            counts[request.subgraph] = counts.get(request.subgraph, 0) + 1
        return dict(sorted(counts.items()))


class _RecordRequests:
    """ASGI middleware appending each POSTed GraphQL request to a RequestLog."""

    def __init__(self, app: ASGIApp, subgraph: str, log: RequestLog) -> None:
        self.app = app
        self.subgraph = subgraph
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._record(scope, b"".join(chunks))
            return message

        await self.app(scope, recording_receive, send)

    def _record(self, scope: Scope, body: bytes) -> None:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            payload = {}
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        self.log.append(
            SubgraphRequest(
                subgraph=self.subgraph,
                query=payload.get("query"),
                variables=payload.get("variables"),
                operation_name=payload.get("operationName"),
                headers=headers,
            )
        )


def supergraph_with_urls(supergraph_sdl: str, urls: Mapping[str, str]) -> str:
    """Point the supergraph's subgraphs at ``urls`` (``{subgraph name: url}``).

    Rewrites the ``url:`` of each ``@join__graph(name: ..., url: ...)`` whose name is
    in ``urls``; subgraphs not mentioned keep their URL. Raises ValueError for a name
    the supergraph does not have, so a typo cannot leave a placeholder behind.
    """
    for name, url in urls.items():
        if '"' in url or "\\" in url:
            raise ValueError(f"URL for subgraph {name!r} contains a quote or backslash: {url!r}")
    found: set[str] = set()

    def rewrite(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in urls:
            return match.group(0)
        found.add(name)
        return f'@join__graph(name: "{name}", url: "{urls[name]}")'

    rewritten = _JOIN_GRAPH.sub(rewrite, supergraph_sdl)
    unknown = sorted(set(urls) - found)
    if unknown:
        raise ValueError(f"the supergraph has no subgraph named {', '.join(unknown)}")
    return rewritten


def graphql_app(schema: Schema) -> ASGIApp:
    """A Starlette app serving ``schema`` at ``/graphql`` (POST only, no GraphiQL)."""
    return Starlette(
        routes=[
            Route(
                GRAPHQL_PATH,
                GraphQL(schema, graphql_ide=None, allow_queries_via_get=False),
                methods=["POST"],
            )
        ]
    )


def _bound_socket() -> socket.socket:
    # proto must be IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on
    # sockets that say so, and without it each response waits out a delayed ACK (~40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def serve_subgraphs(
    subgraphs: Mapping[str, ASGIApp | Schema], *, request_log: RequestLog | None = None
) -> Iterator[dict[str, str]]:
    """Serve each subgraph (a Strawberry schema, or any ASGI app) on its own port.

    Yields ``{name: "http://127.0.0.1:PORT/graphql"}``; a schema is served at that
    path, an ASGI app is given every request and should answer at that path itself.
    The servers stop when the block exits.
    """
    if not subgraphs:
        raise ValueError("serve_subgraphs needs at least one subgraph")
    servers: list[uvicorn.Server] = []
    sockets: list[socket.socket] = []
    urls: dict[str, str] = {}
    for name, subgraph in subgraphs.items():
        app: ASGIApp = graphql_app(subgraph) if isinstance(subgraph, Schema) else subgraph
        if request_log is not None:
            app = _RecordRequests(app, name, request_log)
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_config=None,  # leave the test process's logging alone
            log_level="warning",
            access_log=False,
            ws="none",
            timeout_graceful_shutdown=1,
            # Apollo Gateway's agent keeps idle sockets open with no timeout of its own
            # and does not retry; with uvicorn's default of 5 s, a request sent on a
            # socket just as the server closed it failed a fetch on a busy machine. A
            # test module's idle gaps are far shorter than a minute.
            timeout_keep_alive=60,
        )
        sock = _bound_socket()
        sockets.append(sock)
        servers.append(uvicorn.Server(config))
        urls[name] = f"http://127.0.0.1:{sock.getsockname()[1]}{GRAPHQL_PATH}"

    async def serve_all() -> None:
        await asyncio.gather(
            *(server.serve(sockets=[sock]) for server, sock in zip(servers, sockets, strict=True))
        )

    failure: list[BaseException] = []

    def run() -> None:
        # uvicorn installs no signal handlers outside the main thread.
        try:
            asyncio.run(serve_all())
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)

    thread = threading.Thread(target=run, name="subgraph-servers", daemon=True)
    thread.start()
    try:
        _wait_until_started(servers, thread, failure)
        yield urls
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_S)
        for sock in sockets:
            sock.close()
    if failure:
        raise RuntimeError("a subgraph server failed while serving") from failure[0]


def _wait_until_started(
    servers: list[uvicorn.Server], thread: threading.Thread, failure: list[BaseException]
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not all(server.started for server in servers):
        if failure or not thread.is_alive():
            raise RuntimeError("subgraph servers failed to start") from (
                failure[0] if failure else None
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"subgraph servers did not start within {STARTUP_TIMEOUT_S}s")
        time.sleep(0.01)
