"""`/metrics` on a subgraph: traffic moves the request counters, the latency histogram,
the pool gauges, the cache hit ratio and the active-users gauge; events move the outbox
backlog and the consumer lag."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.app import Runtime
from domains.kit.config import Settings
from domains.kit.db import transaction
from domains.kit.events import (
    Consumer,
    Event,
    EventMeta,
    EventTables,
    Relay,
    Subscription,
    publish,
    stream_key,
)
from domains.kit.events.monitor import sample_consumer_lag, sample_outbox_backlog
from domains.kit.metrics import watch_pool
from domains.kit.resources import Resources
from shopgraph.platform import build_platform_app
from shopgraph.registry import load
from tests.domains.users.helpers import insert_user, start_session
from tests.support.schemas import scratch_schema

LISTING = "{ products(first: 5) { edges { node { name variants { sku } } } } }"


@pytest.fixture
async def products_http(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    from domains.kit.db import transaction
    from domains.kit.seeding import SeedOptions

    for name in ("users", "products"):
        async with transaction(resources.session_factory) as session:
            await load(f"domains.{name}.seed:seed")(
                session, SeedOptions(sellers=2, customers=2, products=6)
            )
    app = load("domains.products.app:create_app")(
        Runtime(resources.settings, resources), manage_resources=False
    )
    watch_pool("products", resources.engine, resources.settings.database_pool_max)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://p"
    ) as client:
        yield client


async def _samples(
    client: httpx.AsyncClient,
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_traffic_moves_the_counters_and_the_cache_hit_ratio(
    products_http: httpx.AsyncClient, resources: Resources
) -> None:
    before = await _samples(products_http)

    for _ in range(3):
        response = await products_http.post("/graphql", json={"query": LISTING})
        assert "errors" not in response.json()
    await products_http.post("/graphql", json={"query": "{ nope }"})
    after = await _samples(products_http)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert (
        moved("shopgraph_requests_total", service="products", operation="products", status="ok")
        == 3
    )
    assert (
        moved("shopgraph_requests_total", service="products", operation="nope", status="error") == 1
    )
    assert moved("shopgraph_request_duration_seconds_count", service="products") == 4
    # The first listing fills the cache with each product's variants, the next two read
    # them back: twice as many hits as misses.
    hits = moved(
        "shopgraph_cache_requests_total", service="products", entity="variants-of", result="hit"
    )
    misses = moved(
        "shopgraph_cache_requests_total", service="products", entity="variants-of", result="miss"
    )
    assert misses > 0
    assert hits >= 2 * misses
    assert _value(after, "shopgraph_db_pool_max_connections", service="products") == (
        resources.settings.database_pool_max
    )
    assert ("shopgraph_db_pool_connections", (("service", "products"), ("state", "idle"))) in after


async def test_active_users_counts_recent_sign_ins(resources: Resources) -> None:
    from domains.users.app import refresh_active_users

    ada = await insert_user(resources, "ada@example.com")
    grace = await insert_user(resources, "grace@example.com")
    await start_session(resources, ada)
    await start_session(resources, ada)
    await start_session(resources, grace)

    assert await refresh_active_users(resources) == 2


async def test_the_platform_exposes_gateway_and_subgraph_metrics(
    products_http: httpx.AsyncClient, settings: Settings
) -> None:
    app = build_platform_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as client,
    ):
        before = await _samples(client)
        ok = await client.post("/graphql", json={"query": LISTING})
        refused = await client.post("/graphql", json={"query": "{ nope }"})
        after = await _samples(client)

    assert "errors" not in ok.json()
    assert "errors" in refused.json()

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    gateway = {"service": "gateway", "operation": "anonymous"}
    assert moved("shopgraph_requests_total", **gateway, status="ok") == 1
    assert moved("shopgraph_requests_total", **gateway, status="error") == 1
    assert moved("shopgraph_request_duration_seconds_count", service="gateway") == 2
    # The in-process subgraph behind it counted its own part of the work.
    assert (
        moved("shopgraph_requests_total", service="products", operation="products", status="ok")
        == 1
    )


@dataclass(frozen=True)
class MetricsProbe(Event):
    """An event only this test publishes and reads."""

    name = "MetricsProbe"
    version = 1

    n: int


@pytest.fixture
async def probe_tables(resources: Resources) -> AsyncIterator[EventTables]:
    """An outbox of its own, so the backlog counted is exactly what this test wrote."""
    async with scratch_schema(resources, "metrics_probe", EventTables) as tables:
        yield tables


async def test_outbox_backlog_and_consumer_lag_move_with_the_events(
    products_http: httpx.AsyncClient, resources: Resources, probe_tables: EventTables
) -> None:
    handled: list[int] = []

    async def handle(session: AsyncSession, event: MetricsProbe, meta: EventMeta) -> None:
        handled.append(event.n)

    consumer = Consumer(
        resources,
        probe_tables,
        group="probers",
        subscriptions=[Subscription(MetricsProbe, handle)],
    )
    stream = stream_key(resources.settings, "MetricsProbe")
    backlog = {"service": "probe", "domain": "probe"}
    lag = {"service": "probers", "stream": stream, "group": "probers"}

    async def sample() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        await sample_outbox_backlog(resources, probe_tables, domain="probe")
        await sample_consumer_lag(
            resources, service="probers", group="probers", streams=consumer.streams
        )
        return await _samples(products_http)

    await consumer.ensure_groups()
    idle = await sample()
    assert _value(idle, "shopgraph_outbox_backlog", **backlog) == 0
    assert _value(idle, "shopgraph_stream_consumer_lag", **lag) == 0

    # Published with no relay running: the events wait in the outbox.
    for n in range(3):
        async with transaction(resources.session_factory) as session:
            await publish(session, probe_tables, MetricsProbe(n=n))
    published = await sample()
    assert _value(published, "shopgraph_outbox_backlog", **backlog) == 3
    assert _value(published, "shopgraph_stream_consumer_lag", **lag) == 0

    # Relayed with no consumer reading: the backlog is gone, the group lags.
    assert await Relay(resources, probe_tables, producer="probe").relay_once() == 3
    relayed = await sample()
    assert _value(relayed, "shopgraph_outbox_backlog", **backlog) == 0
    assert _value(relayed, "shopgraph_stream_consumer_lag", **lag) == 3

    # Delivered and not yet acknowledged still counts: pending is part of the lag.
    await resources.redis.xreadgroup("probers", "stalled", {stream: ">"}, count=1)
    delivered = await sample()
    assert _value(delivered, "shopgraph_stream_consumer_lag", **lag) == 3

    # Consumed: nothing is behind any more.
    assert await consumer.consume_once() == 2
    assert await consumer.reclaim_once(min_idle_ms=0) == 1
    consumed = await sample()
    assert sorted(handled) == [0, 1, 2]
    assert _value(consumed, "shopgraph_outbox_backlog", **backlog) == 0
    assert _value(consumed, "shopgraph_stream_consumer_lag", **lag) == 0


async def test_a_domains_event_workers_report_their_backlog_and_lag(
    resources: Resources, settings: Settings
) -> None:
    from domains.orders.app import SPEC

    app = build_platform_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as client,
    ):
        # Each worker samples as it starts; poll until the first samples are in.
        async with asyncio.timeout(10):
            while True:
                samples = await _samples(client)
                if ("shopgraph_outbox_backlog", (("domain", "orders"), ("service", "orders"))) in (
                    samples
                ) and any(
                    name == "shopgraph_stream_consumer_lag" and dict(labels)["group"] == "orders"
                    for name, labels in samples
                ):
                    break
                await asyncio.sleep(0.05)
    assert SPEC.workers
    lags = {
        dict(labels)["stream"]: value
        for (name, labels), value in samples.items()
        if name == "shopgraph_stream_consumer_lag" and dict(labels)["group"] == "orders"
    }
    # The registry is the process's: platforms other tests ran under other key prefixes
    # (the fault tests') left their gauges in it too.
    ours = {
        stream: lag for stream, lag in lags.items() if stream.startswith(settings.redis_key_prefix)
    }
    assert ours, "the orders group reports a lag for each of its streams"
    assert set(ours.values()) == {0.0}
