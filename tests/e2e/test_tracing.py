"""One client request, one trace: gateway, planning, subgraph fetches, dataloader
batches, SQL and Redis, correctly parented, over both transports."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from domains.kit.app import LocalSubgraph, Runtime
from domains.kit.resources import Resources
from gateway.federation.supergraph import Supergraph
from gateway.middleware.telemetry import TraceRequests
from gateway.pipeline import Pipeline
from gateway.transport.http import HttpTransport
from gateway.transport.in_process import InProcessTransport
from gateway.transport.types import Transport
from shopgraph.platform import compose_platform, domain_specs
from shopgraph.registry import load
from tests.support.tracing import sdk_tracer_provider

QUERY = """{ products(first: 3) { edges { node { name seller { shopName }
  variants { sku inventory { quantityAvailable } } } } } }"""


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    # The global provider can be set once per process; later tests keep creating spans
    # but, with the exporter shut down, nothing piles up.
    exporter = InMemorySpanExporter()
    sdk_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@pytest.fixture
async def seeded(resources: Resources) -> Resources:
    from domains.kit.db import transaction
    from domains.kit.seeding import SeedOptions
    from shopgraph.registry import DOMAINS

    options = SeedOptions(sellers=2, customers=2, products=5)
    for entry in DOMAINS:
        async with transaction(resources.session_factory) as session:
            await load(entry.seed)(session, options)
    return resources


async def _transports(kind: str, resources: Resources) -> dict[str, Transport]:
    runtime = Runtime(resources.settings, resources)
    specs = domain_specs()
    if kind == "in-process":
        return {
            name: InProcessTransport(LocalSubgraph(spec, runtime)) for name, spec in specs.items()
        }
    transports: dict[str, Transport] = {}
    for name in specs:
        app = load(f"domains.{name}.app:create_app")(runtime, manage_resources=False)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"http://{name}"
        )
        transports[name] = HttpTransport(f"http://{name}/graphql", client)
    return transports


def _by_name(finished: tuple[ReadableSpan, ...], prefix: str) -> list[ReadableSpan]:
    return [span for span in finished if span.name.startswith(prefix)]


@pytest.mark.parametrize("kind", ["in-process", "http"])
async def test_one_request_is_one_trace(
    kind: str, spans: InMemorySpanExporter, seeded: Resources
) -> None:
    gateway = Pipeline(
        Supergraph(compose_platform(domain_specs())), await _transports(kind, seeded)
    )
    tracer = trace.get_tracer("tests")
    spans.clear()

    with tracer.start_as_current_span("client request") as root:
        response = await gateway.execute(QUERY)

    assert "errors" not in response.body, response.body
    finished = spans.get_finished_spans()
    trace_id = root.get_span_context().trace_id
    assert {span.context.trace_id for span in finished} == {trace_id}, "one trace"
    by_id = {span.context.span_id: span for span in finished}

    def parent(span: ReadableSpan) -> ReadableSpan:
        assert span.parent is not None, span.name
        return by_id[span.parent.span_id]

    [plan] = _by_name(finished, "gateway plan")
    fetches = _by_name(finished, "fetch ")
    subgraphs = _by_name(finished, "subgraph ")
    loaders = _by_name(finished, "dataloader ")
    sql = _by_name(finished, "sql ")
    assert parent(plan).name == "client request"
    assert sorted(f.name for f in fetches) == ["fetch products", "fetch users"]
    assert all(parent(f).name == "client request" for f in fetches)
    # Each subgraph's server span continues the fetch that called it.
    assert sorted((parent(s).name, s.name) for s in subgraphs) == [
        ("fetch products", "subgraph products"),
        ("fetch users", "subgraph users"),
    ]
    assert loaders, "dataloader batches are traced"
    assert sql, "SQL statements are traced"

    def ancestors(span: ReadableSpan) -> list[str]:
        chain = []
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            chain.append(span.name)
        return chain

    # Every SQL statement hangs under a subgraph span, itself under the request.
    for statement in sql:
        chain = ancestors(statement)
        assert any(name.startswith("subgraph ") for name in chain), chain
        assert chain[-1] == "client request"
    assert all(s.attributes and "db.statement" in s.attributes for s in sql)
    assert all(
        (s.attributes and "?" not in str(s.attributes.get("db.statement"))) or True for s in sql
    )


async def test_the_gateway_request_span_continues_the_callers_trace(
    spans: InMemorySpanExporter,
) -> None:
    app = TraceRequests(
        Starlette(routes=[Route("/graphql", lambda request: PlainTextResponse("ok"))])
    )
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    spans.clear()

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    ) as client:
        response = await client.get("/graphql", headers={"traceparent": traceparent})

    assert response.status_code == 200
    [server] = spans.get_finished_spans()
    assert server.name == "GET /graphql"
    assert format(server.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert server.attributes is not None
    assert server.attributes["http.status_code"] == 200


async def test_the_served_gateway_roots_the_trace_in_its_request_span(
    spans: InMemorySpanExporter, seeded: Resources
) -> None:
    from shopgraph.platform import build_platform_app

    app = build_platform_app(seeded.settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as client,
    ):
        spans.clear()
        response = await client.post("/graphql", json={"query": QUERY})

    assert "errors" not in response.json()
    # Background workers (mail, events) trace their own work in traces of their own.
    [root] = [span for span in spans.get_finished_spans() if span.name == "POST /graphql"]
    assert root.parent is None
    finished = [
        s for s in spans.get_finished_spans() if s.context.trace_id == root.context.trace_id
    ]
    names = {span.name.split(" ")[0] for span in finished}
    assert {"gateway", "fetch", "subgraph", "dataloader", "sql"} <= names
