"""The gateway's request metrics and `/metrics`, named as deploy/metrics.md says.

A pure ASGI middleware times every `/graphql` request and counts it by operation and
outcome. The operation label is bounded: the name of a persisted or manifest operation
when the endpoint recognised one (it sets `scope["state"]["operation"]`), `anonymous`
otherwise, never the client's free text.
"""

from __future__ import annotations

import hmac
import time
from typing import Any, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MetricT = TypeVar("MetricT", Counter, Histogram)

SERVICE = "gateway"
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def _shared(kind: type[MetricT], name: str, documentation: str, **kwargs: Any) -> MetricT:
    # The subgraphs define the same metrics (domains/kit/metrics.py); in one process
    # (`shopgraph serve`) the first definition is shared instead of registered twice.
    try:
        return kind(name, documentation, **kwargs)
    except ValueError:
        existing = REGISTRY._names_to_collectors.get(name)
        if not isinstance(existing, kind):
            raise
        return existing


REQUESTS = _shared(
    Counter,
    "shopgraph_requests_total",
    "GraphQL requests answered.",
    labelnames=("service", "operation", "status"),
)
REQUEST_DURATION = _shared(
    Histogram,
    "shopgraph_request_duration_seconds",
    "Time from request received to response sent.",
    labelnames=("service",),
    buckets=DURATION_BUCKETS,
)


class CountRequests:
    def __init__(self, app: ASGIApp, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        outcome = {"error": False, "first_body": True}

        async def observe(message: Message) -> None:
            if message["type"] == "http.response.start" and int(message["status"]) >= 500:
                outcome["error"] = True
            elif message["type"] == "http.response.body" and outcome["first_body"]:
                outcome["first_body"] = False
                # Our responses put `errors` first whenever there are any.
                if bytes(message.get("body", b"")).lstrip().startswith(b'{"errors"'):
                    outcome["error"] = True
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            state = scope.get("state") or {}
            operation = str(state.get("operation") or "anonymous")
            status = "error" if outcome["error"] else "ok"
            REQUESTS.labels(service=SERVICE, operation=operation, status=status).inc()
            REQUEST_DURATION.labels(service=SERVICE).observe(time.perf_counter() - started)


async def metrics(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def metrics_routes(*, production: bool, token: str | None) -> list[Route]:
    """`/metrics`: open in development; in production only to the scraper's bearer token
    (operation names and traffic are not for the public), and absent without one."""
    if not production:
        return [Route("/metrics", metrics, methods=["GET"])]
    if token is None:
        return []
    expected = f"Bearer {token}".encode()

    async def guarded(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode("latin-1")
        if not hmac.compare_digest(given, expected):
            return Response(
                "metrics need the scraper's token\n",
                status_code=401,
                media_type="text/plain",
                headers={"www-authenticate": "Bearer"},
            )
        return await metrics(request)

    return [Route("/metrics", guarded, methods=["GET"])]
