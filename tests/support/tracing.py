"""The process's one SDK tracer provider, for tests that read spans or trace ids.

OpenTelemetry lets the global provider be set once per process; a second
`set_tracer_provider` is ignored with a warning. So every test that needs real spans
asks for this one, and attaches its own exporter to it.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider


def sdk_tracer_provider() -> TracerProvider:
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider()
    trace.set_tracer_provider(provider)
    return provider
