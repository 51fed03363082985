"""Prometheus metrics of a subgraph, named as deploy/metrics.md (the dashboard's contract)
says: requests and their duration, the database pool, entity-cache hits and misses, and
how far behind the events are (sampled by domains/kit/events/monitor.py).

Label values are bounded: the service (the subgraph's name), the root field or
`_entities` for the operation, the cached entity kind. Never ids, text or users.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MetricT = TypeVar("MetricT", Counter, Gauge, Histogram)

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def shared_metric(kind: type[MetricT], name: str, documentation: str, **kwargs: Any) -> MetricT:
    """The process's one metric of this name, created on first use.

    The gateway defines the same request metrics for itself, and when everything runs in
    one process (`shopgraph serve`) both must share the registered collector rather than
    fail to register it twice.
    """
    try:
        return kind(name, documentation, **kwargs)
    except ValueError:
        existing = REGISTRY._names_to_collectors.get(name)  # no public lookup exists
        if not isinstance(existing, kind):
            raise
        return existing


REQUESTS = shared_metric(
    Counter,
    "shopgraph_requests_total",
    "GraphQL requests answered.",
    labelnames=("service", "operation", "status"),
)
REQUEST_DURATION = shared_metric(
    Histogram,
    "shopgraph_request_duration_seconds",
    "Time from request received to response sent.",
    labelnames=("service",),
    buckets=DURATION_BUCKETS,
)
CACHE_REQUESTS = shared_metric(
    Counter,
    "shopgraph_cache_requests_total",
    "Entity cache look-ups in Redis.",
    labelnames=("service", "entity", "result"),
)
ACTIVE_USERS = shared_metric(
    Gauge,
    "shopgraph_active_users",
    "Distinct users who signed in or refreshed a token in the last 15 minutes.",
    labelnames=("service",),
)
OUTBOX_BACKLOG = shared_metric(
    Gauge,
    "shopgraph_outbox_backlog",
    "Events written to a domain's outbox and not yet relayed to Redis Streams.",
    labelnames=("service", "domain"),
)
STREAM_CONSUMER_LAG = shared_metric(
    Gauge,
    "shopgraph_stream_consumer_lag",
    "Entries of a stream not yet delivered to a consumer group, plus those delivered "
    "and not acknowledged.",
    labelnames=("service", "stream", "group"),
)


@dataclass(frozen=True)
class _Pool:
    service: str
    engine: AsyncEngine
    max_connections: int


class _PoolCollector(Collector):
    """Reads each registered engine's pool at scrape time."""

    def __init__(self) -> None:
        self.pools: list[_Pool] = []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        connections = GaugeMetricFamily(
            "shopgraph_db_pool_connections",
            "Connections of the SQLAlchemy pool, by state.",
            labels=["service", "state"],
        )
        maximum = GaugeMetricFamily(
            "shopgraph_db_pool_max_connections",
            "The most connections the pool may open.",
            labels=["service"],
        )
        for pool in self.pools:
            queue_pool: Any = pool.engine.sync_engine.pool
            in_use = int(queue_pool.checkedout())
            idle = int(queue_pool.checkedin())
            connections.add_metric([pool.service, "in_use"], in_use)
            connections.add_metric([pool.service, "idle"], idle)
            maximum.add_metric([pool.service], pool.max_connections)
        yield connections
        yield maximum


_POOLS = _PoolCollector()
REGISTRY.register(_POOLS)


def watch_pool(service: str, engine: AsyncEngine, max_connections: int) -> None:
    if all(pool.engine is not engine for pool in _POOLS.pools):
        _POOLS.pools.append(_Pool(service, engine, max_connections))


_FIRST_FIELD = re.compile(r"\{\s*(?:\w+\s*:\s*)?(\w+)")


def operation_label(document: str) -> str:
    """A bounded name for a subgraph operation: `_entities`, or its first root field
    (never an alias: those are the client's free text)."""
    if "_entities(" in document:
        return "_entities"
    match = _FIRST_FIELD.search(document)
    return match.group(1) if match else "anonymous"


def record_request(service: str, operation: str, *, ok: bool, seconds: float) -> None:
    REQUESTS.labels(service=service, operation=operation, status="ok" if ok else "error").inc()
    REQUEST_DURATION.labels(service=service).observe(seconds)


def record_cache(service: str, entity: str, *, hits: int, misses: int, error: bool) -> None:
    if error:
        CACHE_REQUESTS.labels(service=service, entity=entity, result="error").inc(hits + misses)
        return
    if hits:
        CACHE_REQUESTS.labels(service=service, entity=entity, result="hit").inc(hits)
    if misses:
        CACHE_REQUESTS.labels(service=service, entity=entity, result="miss").inc(misses)


async def metrics(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def metrics_routes(*, production: bool, token: str | None) -> list[Route]:
    """`/metrics`: open in development; in production only to the scraper's bearer token
    (operation names, backlog and lag are not for the public), and absent without one."""
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
