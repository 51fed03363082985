"""One trace per client request: the server span every gateway span hangs under.

A pure ASGI middleware: it continues a trace the client started (W3C traceparent) or
starts one, and names the span after the route. Planning, each subgraph fetch (and,
through the propagated traceparent, everything the subgraphs do) are its children.
"""

from __future__ import annotations

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from starlette.types import Message, Receive, Scope, Send

from gateway.middleware.base import HttpMiddleware
from gateway.tracing import tracing_on

tracer = trace.get_tracer("shopgraph.gateway")


class TraceRequests(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not tracing_on():
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        parent = propagate.extract(headers)
        name = f"{scope.get('method', 'HTTP')} {scope.get('path', '')}"
        with tracer.start_as_current_span(name, context=parent, kind=SpanKind.SERVER) as span:
            span.set_attribute("http.method", str(scope.get("method", "")))
            span.set_attribute("http.target", str(scope.get("path", "")))

            async def send_with_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.status_code", int(message["status"]))
                await send(message)

            await self.app(scope, receive, send_with_status)
