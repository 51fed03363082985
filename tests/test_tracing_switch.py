"""Spans are made only once a tracer provider is installed: the subgraphs' and the
gateway's switch, in a process of its own (the provider is set once per process)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from domains.kit.tracing import tracing_on as subgraphs_trace
from gateway.tracing import tracing_on as gateway_traces
before = (subgraphs_trace(), gateway_traces())
trace.set_tracer_provider(TracerProvider())
print(before, (subgraphs_trace(), gateway_traces()))
"""


def test_spans_are_made_once_a_provider_is_installed() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    assert ran.stdout.strip() == "(False, False) (True, True)"
