"""The gateway's request metrics and `/metrics`, named as deploy/metrics.md says.

The metrics are observed by a middleware (gateway/middleware/request_metrics.py).
"""

from __future__ import annotations

import hmac
from typing import Any, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
