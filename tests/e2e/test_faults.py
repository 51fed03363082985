"""Servers killed under shoppers' traffic, and what the platform is like afterwards.

Each test runs the platform on a Postgres and a Redis of its own (tests/support/
private_postgres.py, private_redis.py), sends shoppers at it (listings, carts,
checkouts, payments with the local provider; tests/support/shoppers.py), breaks one
server or process in the middle, brings it back, and then requires:

- every answer given meanwhile was correct or a clear refusal (an error with a code),
  never a hang past the bound, never an error without a code;
- every checkout is decided when asked again with its key, and each key answered one
  order, the one the database holds;
- the data agrees with itself (tests/support/consistency.py): no order lost, stuck or
  doubled, no stock reserved for an order that is not live, every payment where it
  belongs, every outbox relayed and delivered, nothing dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from domains.kit.app import Runtime
from domains.kit.config import Settings
from domains.kit.resources import Resources, open_resources
from shopgraph.platform import build_platform_app
from shopgraph.provisioning import migrate_all
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.consistency import settled
from tests.support.graphql import GraphQLClient
from tests.support.private_postgres import PrivatePostgres, private_postgres
from tests.support.private_redis import PrivateRedis, private_redis
from tests.support.processes import command_env, free_port
from tests.support.shoppers import Ledger, Shopper, finish, traffic

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "shopgraph"
SHOPPERS = 5
# Long enough that a healthy checkout is decided within it; past it the shopper is
# answered PENDING and asks again.
CHECKOUT_WAIT = "5s"

pytestmark = pytest.mark.slow


@dataclass
class Stack:
    """The platform's own servers, and the settings and handles that reach them."""

    settings: Settings
    postgres: PrivatePostgres
    redis: PrivateRedis
    resources: Resources


@pytest.fixture
async def stack(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Stack]:
    monkeypatch.setenv("CHECKOUT_WAIT", CHECKOUT_WAIT)
    monkeypatch.setenv("PAYMENTS_PROVIDER", "local")
    with private_postgres() as postgres, private_redis() as redis:
        connection = await asyncpg.connect(postgres.server_url)
        try:
            await connection.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            await connection.close()
        own = dataclasses.replace(
            settings,
            database_url=postgres.url(DATABASE),
            redis_url=redis.url,
            redis_key_prefix="sg-faults:",
            data_dir=tmp_path / "data",
        )
        await asyncio.to_thread(migrate_all, own)
        async with open_resources(own) as resources:
            yield Stack(own, postgres, redis, resources)


@dataclass
class Store:
    variants: list[uuid.UUID]
    shoppers: list[Shopper]


async def _store(stack: Stack) -> Store:
    """Three well-stocked variants and one nearly sold out, so some checkouts fail."""
    catalog = Catalog(stack.resources)
    seller = await catalog.seller()
    variants = []
    for index, stock in enumerate((500, 500, 500, 12)):
        product = await catalog.product(
            seller,
            f"Fault Line Item {index}",
            variants=[VariantSpec(sku=f"FAULT-{index}", price=1000 + index, stock=stock)],
        )
        variants += await catalog.variant_ids(product.id)
    shoppers = []
    for _ in range(SHOPPERS):
        account = catalog.customer()
        shoppers.append(Shopper(account.user_id, account.token))
    return Store(variants, shoppers)


@contextlib.asynccontextmanager
async def in_process_platform(
    settings: Settings, runtime: Runtime | None = None
) -> AsyncIterator[GraphQLClient]:
    app = build_platform_app(settings, runtime)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://shop", timeout=60
        ) as http,
    ):
        yield GraphQLClient(http)


async def _run_for(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def _recovered(
    client: GraphQLClient,
    stack: Stack,
    ledger: Ledger,
    stop: asyncio.Event,
    shopping: asyncio.Task[None],
) -> None:
    """Stop the shoppers, decide every checkout, and audit the platform."""
    stop.set()
    await shopping
    began = time.monotonic()
    undecided = await finish(client, ledger)
    decided_after = time.monotonic() - began
    findings = await settled(stack.settings, answered=ledger.answered)
    print(
        f"\nanswers: {ledger.summary()}; paid: {ledger.paid}; every checkout decided "
        f"{decided_after:.1f}s and the audit clean {time.monotonic() - began:.1f}s after"
    )
    assert ledger.bad == [], ledger.bad
    assert undecided == [], undecided
    assert findings == [], findings
    decided = [c for c in ledger.checkouts if c.status in ("AWAITING_PAYMENT", "FAILED")]
    assert decided, "the shoppers checked out"


async def test_redis_killed_and_restarted_empty_under_traffic(stack: Stack) -> None:
    store = await _store(stack)
    ledger = Ledger()
    stop = asyncio.Event()
    async with in_process_platform(stack.settings) as client:
        shopping = asyncio.create_task(
            traffic(client, ledger, store.shoppers, store.variants, stop)
        )
        await _run_for(3.0)
        stack.redis.kill()
        await _run_for(3.0)
        stack.redis.start()  # empty: streams, groups, caches, the revocation marker gone
        await _run_for(4.0)
        await _recovered(client, stack, ledger, stop, shopping)


async def test_postgres_crashed_and_restarted_under_checkouts(stack: Stack) -> None:
    store = await _store(stack)
    ledger = Ledger()
    stop = asyncio.Event()
    async with in_process_platform(stack.settings) as client:
        shopping = asyncio.create_task(
            traffic(client, ledger, store.shoppers, store.variants, stop)
        )
        await _run_for(3.0)
        await asyncio.to_thread(stack.postgres.crash)  # every connection cut, no checkpoint
        await _run_for(2.0)
        await asyncio.to_thread(stack.postgres.start)  # recovery replays the WAL
        await _run_for(5.0)
        await _recovered(client, stack, ledger, stop, shopping)


class WorkerProcess:
    """`shopgraph worker DOMAIN...` as deployed: the background side of some domains."""

    def __init__(self, stack: Stack, log: Path, *domains: str) -> None:
        self.domains = domains
        self._stack = stack
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def _env(self) -> dict[str, str]:
        settings = self._stack.settings
        return {
            **command_env(settings, settings.data_dir),
            "CHECKOUT_WAIT": CHECKOUT_WAIT,
            "PAYMENTS_PROVIDER": "local",
        }

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.port = free_port()
        command = ["worker", *self.domains, "--port", str(self.port)]
        with self._log.open("ab") as output:
            return subprocess.Popen(
                [sys.executable, "-m", "shopgraph.cli", *command],
                cwd=ROOT,
                env=self._env(),
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        self._process = self._spawn()
        async with httpx.AsyncClient(timeout=2) as http:
            deadline = time.monotonic() + 60
            while True:
                assert self._process.poll() is None, self._log.read_text()
                assert time.monotonic() < deadline, f"not ready:\n{self._log.read_text()}"
                with contextlib.suppress(httpx.TransportError):
                    response = await http.get(f"http://127.0.0.1:{self.port}/ready")
                    if response.status_code == 200:
                        return
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no entry finished, no acknowledgement sent, no pool closed."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(30)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


@contextlib.asynccontextmanager
async def worker_processes(
    stack: Stack, log: Path, groups: Sequence[Sequence[str]]
) -> AsyncIterator[dict[str, WorkerProcess]]:
    """One `shopgraph worker` process per group of domains, keyed by its first domain."""
    workers = {group[0]: WorkerProcess(stack, log, *group) for group in groups}
    try:
        await asyncio.gather(*(worker.start() for worker in workers.values()))
        yield workers
    finally:
        for worker in workers.values():
            worker.stop()


WORKER_GROUPS = (("products",), ("orders",), ("carts", "payments", "users"))


async def _kill_and_restart_worker(stack: Stack, tmp_path: Path, victim: str) -> None:
    store = await _store(stack)
    ledger = Ledger()
    stop = asyncio.Event()
    log = tmp_path / "workers.log"
    async with (
        worker_processes(stack, log, WORKER_GROUPS) as workers,
        in_process_platform(
            stack.settings, Runtime(stack.settings, workers_enabled=False)
        ) as client,
    ):
        shopping = asyncio.create_task(
            traffic(client, ledger, store.shoppers, store.variants, stop)
        )
        await _run_for(4.0)
        workers[victim].kill()
        await _run_for(3.0)  # the saga's other half goes on, its events pile up
        await workers[victim].start()
        await _run_for(3.0)
        await _recovered(client, stack, ledger, stop, shopping)


async def test_the_products_worker_killed_mid_saga_and_restarted(
    stack: Stack, tmp_path: Path
) -> None:
    """Products reserves stock for OrderPlaced and commits it for PaymentSucceeded."""
    await _kill_and_restart_worker(stack, tmp_path, "products")


async def test_the_orders_relay_and_consumer_killed_with_events_pending(
    stack: Stack, tmp_path: Path
) -> None:
    """Orders is the saga's hub: its consumer reads CheckoutRequested, StockReserved and
    PaymentSucceeded, its relay sends OrderPlaced and OrderStatusChanged."""
    await _kill_and_restart_worker(stack, tmp_path, "orders")
