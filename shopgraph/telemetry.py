"""Where spans go: OTLP over HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, nowhere otherwise.

Without an endpoint no SDK provider is installed, so the OpenTelemetry API's no-op tracer
answers every span call: the instrumented code costs next to nothing. The exporter reads
the standard OTEL_* variables (endpoint, headers, timeout) itself.
"""

from __future__ import annotations

import logging
import os

from opentelemetry import trace

logger = logging.getLogger("shopgraph")


def configure_tracing(service_name: str) -> bool:
    """Install a batching OTLP exporter if an endpoint is configured; say whether it did."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    if not endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service = os.environ.get("OTEL_SERVICE_NAME", service_name)
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    logger.info("tracing: OTLP export to %s as %s", endpoint, service)
    return True
