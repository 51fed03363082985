"""Whether the gateway records spans.

The OpenTelemetry API hands out no-op spans until a tracer provider is installed
(shopgraph.telemetry does when OTEL_EXPORTER_OTLP_ENDPOINT is set). They are cheap, not
free: the server span, the planning span and one span per fetch, each with its
attributes and its context switch, were a few percent of a small request's CPU. Without
a provider the gateway makes none.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.trace import NoOpTracerProvider, ProxyTracerProvider


def tracing_on() -> bool:
    return not isinstance(trace.get_tracer_provider(), (ProxyTracerProvider, NoOpTracerProvider))
