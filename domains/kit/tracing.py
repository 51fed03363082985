"""Spans for what a subgraph does: each request, each dataloader batch, each SQL statement
and each Redis round trip.

Only the OpenTelemetry API is used here; whoever runs the process decides whether spans
go anywhere (shopgraph.telemetry installs an exporter when OTEL_EXPORTER_OTLP_ENDPOINT
is set). Without one, no span is made at all (`tracing_on`): the API's no-op spans are
cheap, not free, and a checkout makes a hundred of them.

The caller's trace continues across the gateway -> subgraph hop through the W3C
`traceparent` header, over HTTP and in-process alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from opentelemetry import propagate, trace
from opentelemetry.trace import (
    INVALID_SPAN,
    NoOpTracerProvider,
    ProxyTracerProvider,
    Span,
    SpanKind,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

tracer = trace.get_tracer("shopgraph.subgraph")

# The gateway's id of the request being served (its x-request-id), for log lines.
request_id_var: ContextVar[str | None] = ContextVar("shopgraph_request_id", default=None)
# The address of the client the gateway served the request to. The gateway sets the
# header itself, dropping any a client sent; a subgraph is reached only through the
# gateway, so without the header there is no client address to speak of (a direct
# caller's peer is usually a proxy, and counting everyone behind it as one client would
# throttle them all together).
CLIENT_IP_HEADER = "x-shopgraph-client-ip"
client_ip_var: ContextVar[str | None] = ContextVar("shopgraph_client_ip", default=None)

T = TypeVar("T")

# Statements are recorded without their parameters (no personal data, no secrets), and
# cut short: the shape of a query is what a trace needs.
MAX_STATEMENT_LENGTH = 2000


def tracing_on() -> bool:
    """Whether this process records spans: a tracer provider has been installed. Until
    one is, every span would be the API's no-op, and making none saves its construction,
    attributes and context switch on every request, statement and Redis call (3% of
    the CPU of a checkout refused at the admission gate, measured in-process)."""
    return not isinstance(trace.get_tracer_provider(), (ProxyTracerProvider, NoOpTracerProvider))


@contextmanager
def subgraph_request(name: str, headers: Mapping[str, str]) -> Iterator[Span]:
    """The server span of one request to a subgraph, continuing the caller's trace."""
    lowered = {k.lower(): v for k, v in headers.items()}
    token = request_id_var.set(lowered.get("x-request-id"))
    client_token = client_ip_var.set(lowered.get(CLIENT_IP_HEADER) or None)
    try:
        if not tracing_on():
            yield INVALID_SPAN
            return
        parent = propagate.extract(lowered)
        with tracer.start_as_current_span(
            f"subgraph {name}", context=parent, kind=SpanKind.SERVER
        ) as span:
            span.set_attribute("shopgraph.subgraph", name)
            yield span
    finally:
        client_ip_var.reset(client_token)
        request_id_var.reset(token)


def traced_batch(
    name: str, batch: Callable[[list[Any]], Awaitable[list[T]]]
) -> Callable[[list[Any]], Coroutine[Any, Any, list[T]]]:
    """Wrap a dataloader batch function in a span saying how many keys it loaded."""

    @wraps(batch)
    async def run(keys: list[Any]) -> list[T]:
        if not tracing_on():
            return await batch(keys)
        with tracer.start_as_current_span(f"dataloader {name}") as span:
            span.set_attribute("shopgraph.dataloader.keys", len(keys))
            return await batch(keys)

    return run


@contextmanager
def redis_span(command: str, keys: int) -> Iterator[None]:
    if not tracing_on():
        yield
        return
    with tracer.start_as_current_span(f"redis {command}", kind=SpanKind.CLIENT) as span:
        span.set_attribute("db.system", "redis")
        span.set_attribute("db.operation", command)
        span.set_attribute("shopgraph.redis.keys", keys)
        yield


def instrument_engine(engine: AsyncEngine) -> None:
    """A client span around every SQL statement sent through the engine."""
    sync_engine = engine.sync_engine
    if getattr(sync_engine, "_shopgraph_traced", False):
        return

    @event.listens_for(sync_engine, "before_cursor_execute")
    def start(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if not tracing_on():
            return
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(f"sql {operation}", kind=SpanKind.CLIENT)
        span.set_attribute("db.system", "postgresql")
        span.set_attribute("db.statement", statement[:MAX_STATEMENT_LENGTH])
        context._shopgraph_span = span

    @event.listens_for(sync_engine, "after_cursor_execute")
    def finish(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        span = getattr(context, "_shopgraph_span", None)
        if span is not None:
            span.end()

    @event.listens_for(sync_engine, "handle_error")
    def failed(exception_context: Any) -> None:
        span = getattr(exception_context.execution_context, "_shopgraph_span", None)
        if span is not None:
            span.record_exception(exception_context.original_exception)
            span.set_status(trace.Status(trace.StatusCode.ERROR))
            span.end()

    sync_engine._shopgraph_traced = True  # type: ignore[attr-defined]
