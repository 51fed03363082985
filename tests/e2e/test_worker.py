"""`shopgraph worker`: a domain's background workers in a process of their own, stopped
by SIGTERM with exit code 0 once the entry in hand is acknowledged."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from domains.carts.models import EVENT_TABLES as CARTS_EVENTS
from domains.kit.config import Settings
from domains.kit.db import transaction
from domains.kit.events import publish, stream_key
from domains.kit.resources import Resources
from domains.products.events import VariantPriceChanged
from domains.products.models import EVENT_TABLES as PRODUCTS_EVENTS
from tests.support.processes import command_env, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:  # a test that failed half-way leaves nothing running
        if process.poll() is None:
            process.kill()
            process.wait()


def _spawn(
    processes: list[subprocess.Popen[bytes]], settings: Settings, log: Path, *args: str
) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "shopgraph.cli", "worker", *args],
            cwd=ROOT,
            env=command_env(settings, log.parent),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    processes.append(process)
    return process


async def _price_changed(resources: Resources) -> uuid.UUID:
    event = VariantPriceChanged(
        variant_id=uuid.uuid4(),
        product_id=uuid.uuid4(),
        seller_id=uuid.uuid4(),
        sku="WORKER-1",
        price_amount=1250,
        currency="EUR",
        changed_at=datetime.now(UTC),
    )
    async with transaction(resources.session_factory) as session:
        return await publish(session, PRODUCTS_EVENTS, event)


async def _processed_by_carts(resources: Resources, event_id: uuid.UUID) -> bool:
    processed = CARTS_EVENTS.processed_events
    async with resources.session_factory() as session:
        count = await session.scalar(
            select(func.count()).select_from(processed).where(processed.c.event_id == event_id)
        )
    return bool(count)


async def _exit_code(process: subprocess.Popen[bytes]) -> int:
    return await asyncio.to_thread(process.wait, 60)


async def test_a_worker_relays_and_consumes_then_exits_0_on_sigterm(
    resources: Resources,
    settings: Settings,
    start_worker: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    log = tmp_path / "worker.log"
    event_id = await _price_changed(resources)
    process = _spawn(start_worker, settings, log, "products", "carts")

    # products' relay sends it to the stream, carts' consumer applies it.
    async with asyncio.timeout(60):
        while not await _processed_by_carts(resources, event_id):
            assert process.poll() is None, log.read_text()
            await asyncio.sleep(0.1)
    outbox = PRODUCTS_EVENTS.outbox
    async with resources.session_factory() as session:
        relayed_at = await session.scalar(
            select(outbox.c.relayed_at).where(outbox.c.id == event_id)
        )
    assert relayed_at is not None

    process.send_signal(signal.SIGTERM)
    assert await _exit_code(process) == 0, log.read_text()
    stream = stream_key(settings, "VariantPriceChanged")
    summary = await resources.redis.xpending(stream, "carts")
    assert summary["pending"] == 0
    assert "worker for products, carts running" in log.read_text()


async def test_a_worker_with_a_port_answers_probes_and_metrics_only(
    resources: Resources,
    settings: Settings,
    start_worker: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    log = tmp_path / "worker.log"
    port = free_port()
    process = _spawn(start_worker, settings, log, "carts", "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        async with asyncio.timeout(60):
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if (await client.get("/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        assert (await client.get("/health")).status_code == 200
        assert (await client.post("/graphql", json={"query": "{ __typename }"})).status_code == 404
        # The consumer samples its lag as it starts.
        async with asyncio.timeout(30):
            while True:
                text = (await client.get("/metrics")).text
                groups = {
                    sample.labels.get("group")
                    for family in text_string_to_metric_families(text)
                    for sample in family.samples
                    if sample.name == "shopgraph_stream_consumer_lag"
                }
                if "carts" in groups:
                    break
                await asyncio.sleep(0.2)

    process.send_signal(signal.SIGTERM)
    assert await _exit_code(process) == 0, log.read_text()


def test_an_unknown_domain_is_refused(settings: Settings, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shopgraph.cli", "worker", "nowhere"],
        cwd=ROOT,
        env=command_env(settings, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "unknown domain nowhere" in result.stderr


async def test_a_subgraph_with_workers_disabled_runs_none(settings: Settings) -> None:
    from domains.kit.app import Runtime
    from domains.orders.app import SPEC, create_app

    app = create_app(Runtime(settings, workers_enabled=False))
    async with app.router.lifespan_context(app):
        running = {task.get_name() for task in asyncio.all_tasks()}
    assert SPEC.workers
    assert not running & {getattr(worker, "__name__", "") for worker in SPEC.workers}

    app = create_app(Runtime(settings))
    async with app.router.lifespan_context(app):
        running = {task.get_name() for task in asyncio.all_tasks()}
    assert "orders_outbox_relay" in running
