"""Shopgraph against peer gateways and a hand-written SQL floor, in one run.

    ./task bench                       (or: .venv/bin/python -m bench.run --help)
    ./task bench -- --quick            a few minutes: 10k products, concurrency 10, one round

One bench database (deterministic data: bench/data.py) and one set of subgraph processes
(`shopgraph subgraph users|products|carts|orders`) serve every system measured:

- floor:            one hand-written SQL statement per workload behind a bare Starlette
                    endpoint with orjson (bench/floor.py): the least any server can do;
- ours, in-process: `shopgraph serve --workers N`, every subgraph inside the gateway's
                    process, N of them sharing the port (default: one per core);
- ours, over HTTP:  `shopgraph serve --subgraph-urls ...` in front of the processes;
- Apollo Gateway, Hive Gateway (with and without `--hive-router-runtime`) and Grafbase's
  gateway from npm, in front of the same processes, where they install and start here.

Every system's answer to every workload is checked equal to ours before timing; a system
that answers differently is reported and not timed. Load is open (autocannon, driven by
tools/bench/load.mjs) at concurrency 1, 10 and 50, after a warm-up, in several rounds;
the report gives the median round and the spread. Per system and workload: requests/s,
p50/p95/p99, CPU seconds per request of each process, peak RSS, and SQL statements and
Redis round trips per request (counted inside our processes: bench/counting.py). Then:
cold vs warm entity cache, listing latency against page size, and search latency against
catalog size. Results go to bench/results/ (report.md, results.json, PNG charts).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis

from bench import data, peers
from bench.counting import fresh_counts, read_counts
from bench.harness import (
    ROOT,
    Child,
    bench_database,
    children,
    free_port,
    load_rounds,
    postgres_server_url,
    private_redis,
    python_env,
    redis_url,
    spawn,
    wait_until_answering,
)
from bench.quiet import wait_until_quiet
from bench.workloads import (
    ADDRESS,
    CHECKOUT,
    CHECKOUT_CART,
    SEARCH,
    SEARCH_FILTER,
    Targets,
    Workload,
    listing_body,
    workloads,
)

RESULTS = ROOT / "bench" / "results"
# Empties the caches (entities, listings, persisted queries: plain string keys) and
# leaves the event streams and their consumer groups to the workers, and the relays'
# epoch keys (`...events:epoch:<domain>`): without one, a relay takes Redis for having
# lost its data and publishes every undelivered event again, so a cold request would
# be timed against the consumers redoing a bulk load's offers.
DROP_CACHED = (
    "local n = 0 "
    "for _, key in ipairs(redis.call('KEYS', '*')) do "
    "  if redis.call('TYPE', key).ok == 'string' "
    "  and not string.find(key, ':epoch:', 1, true) then redis.call('DEL', key) n = n + 1 end "
    "end "
    "return n"
)
SUBGRAPHS = ("users", "products", "carts", "orders")
PAGE_SIZES = (1, 6, 12, 24, 48, 100)


@dataclass
class System:
    key: str
    title: str
    url: str = ""
    processes: list[Child] = field(default_factory=list)
    # Our own processes, whose SQL statements and Redis round trips are counted.
    counted: list[str] = field(default_factory=list)
    unavailable: str | None = None
    differs: dict[str, str] = field(default_factory=dict)


@dataclass
class Options:
    products: int
    concurrency: list[int]
    rounds: int
    duration: float
    warmup: float
    catalog_sizes: list[int]
    page_sizes: list[int]
    count_requests: int
    checkouts: int
    systems: list[str] | None
    quick: bool
    workers: int = 1
    # Catalog sizes already loaded (kept by an earlier `bench.data --keep`): size -> URL.
    catalog_databases: dict[int, str] = field(default_factory=dict)


class Bench:
    def __init__(self, options: Options, logs: Path, started: list[Child]) -> None:
        self.options = options
        self.logs = logs
        self.started = started
        self.counts_dir = logs / "counts"
        self.counts_dir.mkdir()
        self.results: dict[str, Any] = {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "options": asdict(options),
            "systems": {},
            "load": [],
            "counts": [],
            "cache": [],
            "page_size": [],
            "catalog_size": [],
            "checkout": [],
        }

    # ------------------------------------------------------------------ processes

    def env(self, database_url: str, redis: str, **extra: str) -> dict[str, str]:
        return python_env(
            {
                "APP_ENV": "development",
                "DATABASE_URL": database_url,
                "REDIS_URL": redis,
                "SHOPGRAPH_DATA_DIR": str(self.logs / "data"),
                # DATABASE_POOL_MIN is the pool that is kept (SQLAlchemy pool_size); with
                # the default 2, connections beyond it are opened and closed per request
                # under concurrent load, which would be measured instead of the platform.
                # Pools keep what they open: ten processes (and the floor) at 10 each
                # stay within a default Postgres's 100 connections.
                "DATABASE_POOL_MIN": "10",
                "DATABASE_POOL_MAX": "10",
                # One client from one address makes all the load: the edge's rate limit
                # would be what is measured.
                "RATE_LIMIT_ENABLED": "off",
                "BENCH_COUNTS_DIR": str(self.counts_dir),
                "LOG_LEVEL": "WARNING",
                **extra,
            }
        )

    def counted_shopgraph(self, name: str, env: dict[str, str], *args: str) -> Child:
        return spawn(
            self.started,
            name,
            [sys.executable, "-m", "bench.counting", *args],
            {**env, "BENCH_COUNTS_NAME": name},
            self.logs,
        )

    def counts(self, names: list[str]) -> dict[str, dict[str, int]]:
        fresh_counts(self.counts_dir)
        return {name: read_counts(self.counts_dir / f"{name}.json") for name in names}

    # ---------------------------------------------------------------- measuring

    def count_pass(
        self,
        system: System,
        body: dict[str, Any],
        requests: int,
        *,
        before_each: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """Sequential requests: latency of each, SQL statements and Redis round trips per
        request (only what requests cause is counted: bench/counting.py)."""
        before = self.counts(system.counted)
        latencies = []
        with httpx.Client(timeout=60) as client:
            for _ in range(requests):
                if before_each is not None:
                    before_each()
                began = time.perf_counter()
                client.post(system.url, json=body).raise_for_status()
                latencies.append((time.perf_counter() - began) * 1000)
        after = self.counts(system.counted)
        per_request: dict[str, float] = {}
        for key in ("sql", "redis"):
            total = sum(
                after[name].get(key, 0) - before[name].get(key, 0) for name in system.counted
            )
            per_request[key] = round(total / requests, 1) if system.counted else float("nan")
        latencies.sort()
        return {
            "sql_per_request": per_request["sql"],
            "redis_per_request": per_request["redis"],
            "p50_ms": statistics.median(latencies),
            "mean_ms": statistics.fmean(latencies),
        }

    def load(
        self,
        system: System,
        workload: str,
        body: dict[str, Any],
        concurrency: int,
        *,
        rounds: int | None = None,
    ) -> dict[str, Any]:
        options = self.options
        # The exact text of this system's answer, which every response under load must
        # repeat; the answer itself was checked equal to ours before any timing.
        sample = httpx.post(system.url, json=body, timeout=60)
        if sample.status_code != 200 or "errors" in sample.json():
            raise RuntimeError(f"{system.key} answered {workload} with {sample.text[:300]}")
        expect = sample.text
        load_rounds(
            system.url,
            body,
            connections=concurrency,
            duration=options.warmup,
            warmup=0,
            rounds=1,
            expect=expect,
        )
        cpu_before = [child.cpu_seconds() for child in system.processes]
        measured = load_rounds(
            system.url,
            body,
            connections=concurrency,
            duration=options.duration,
            warmup=0,
            rounds=rounds or options.rounds,
            expect=expect,
        )
        cpu_after = [child.cpu_seconds() for child in system.processes]
        requests = sum(item.requests for item in measured)
        median = sorted(measured, key=lambda item: item.rps)[len(measured) // 2]
        return {
            "system": system.key,
            "workload": workload,
            "concurrency": concurrency,
            "rounds": [asdict(item) for item in measured],
            "rps": median.rps,
            "rps_min": min(item.rps for item in measured),
            "rps_max": max(item.rps for item in measured),
            "p50_ms": median.p50_ms,
            "p95_ms": median.p95_ms,
            "p99_ms": median.p99_ms,
            "errors": sum(item.errors for item in measured),
            "requests": requests,
            "cpu_ms_per_request": {
                child.name: (after - before) / max(requests, 1) * 1000
                for child, after, before in zip(
                    system.processes, cpu_after, cpu_before, strict=True
                )
            },
            "peak_rss_mb": {child.name: child.peak_rss_mb() for child in system.processes},
        }


def machine() -> dict[str, Any]:
    import os

    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gb = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory_gb = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


async def find_targets(database_url: str) -> Targets:
    connection = await asyncpg.connect(database_url)
    try:
        slug = await connection.fetchval(
            "SELECT p.slug FROM products.products p "
            "JOIN products.product_ratings r ON r.product_id = p.id "
            "WHERE p.status = 'ACTIVE' ORDER BY r.review_count DESC, p.slug LIMIT 1"
        )
        variant = await connection.fetchval(
            "SELECT v.id FROM products.variants v "
            "JOIN products.inventory i ON i.variant_id = v.id "
            "JOIN products.products p ON p.id = v.product_id "
            "WHERE p.status = 'ACTIVE' AND i.on_hand - i.reserved > 0 ORDER BY v.sku LIMIT 1"
        )
    finally:
        await connection.close()
    return Targets(product_slug=str(slug), variant_id=str(variant))


async def checkout_variants(database_url: str, count: int) -> list[str]:
    """Variants with the most stock, so that every checkout of the run can reserve."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT v.id FROM products.variants v "
            "JOIN products.inventory i ON i.variant_id = v.id "
            "JOIN products.products p ON p.id = v.product_id "
            "WHERE p.status = 'ACTIVE' AND i.on_hand - i.reserved >= 20 "
            "ORDER BY i.on_hand DESC, v.sku LIMIT $1",
            count,
        )
    finally:
        await connection.close()
    return [str(row["id"]) for row in rows]


def answer(url: str, body: dict[str, Any]) -> Any:
    response = httpx.post(url, json=body, timeout=60)
    parsed = response.json()
    if response.status_code != 200 or parsed.get("errors"):
        raise RuntimeError(f"answered {response.status_code}: {json.dumps(parsed)[:400]}")
    return parsed["data"]


def first_difference(a: Any, b: Any, path: str = "") -> str:
    if type(a) is not type(b) and not (isinstance(a, int | float) and isinstance(b, int | float)):
        return f"{path or '.'}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: present on one side only"
            if a[key] != b[key]:
                return first_difference(a[key], b[key], f"{path}.{key}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{path}[{index}]")
    return f"{path or '.'}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}"


def start_systems(
    bench: Bench, env: dict[str, str], database_url: str, wanted: Callable[[str], bool]
) -> tuple[list[System], dict[str, Child]]:
    started = bench.started
    logs = bench.logs
    subgraph_ports = {name: free_port() for name in SUBGRAPHS}
    subgraph_urls = {
        name: f"http://127.0.0.1:{port}/graphql" for name, port in subgraph_ports.items()
    }
    subgraphs = {
        name: bench.counted_shopgraph(name, env, "subgraph", name, "--port", str(port))
        for name, port in subgraph_ports.items()
    }
    for name, child in subgraphs.items():
        wait_until_answering(child, subgraph_urls[name])
    http_processes = list(subgraphs.values())

    from gateway.federation.composition import compose

    sdls = {
        name: (url, httpx.post(url, json={"query": "{ _service { sdl } }"}).json()["data"])
        for name, url in subgraph_urls.items()
    }
    supergraph = logs / "supergraph.graphql"
    supergraph.write_text(compose({n: (u, d["_service"]["sdl"]) for n, (u, d) in sdls.items()}))

    systems: list[System] = []

    def add(
        key: str, title: str, starter: Callable[[int], tuple[Child, list[Child], list[str]]]
    ) -> None:
        system = System(key, title)
        systems.append(system)
        if not wanted(key):
            system.unavailable = "not selected (--systems)"
            return
        port = free_port()
        system.url = f"http://127.0.0.1:{port}/graphql"
        try:
            front, processes, counted = starter(port)
            system.processes = processes
            system.counted = counted
            wait_until_answering(front, system.url, timeout=120)
        except (peers.PeerUnavailable, RuntimeError, OSError) as error:
            system.unavailable = str(error).strip()[-1500:]
            print(f"  {title}: cannot run here: {system.unavailable[:300]}", flush=True)

    add(
        "floor",
        "SQL floor (Starlette + orjson)",
        lambda port: _one(
            spawn(
                started,
                "floor",
                [sys.executable, "-m", "bench.floor", "--port", str(port)],
                env,
                logs,
            )
        ),
    )

    def ours_in_process(port: int) -> tuple[Child, list[Child], list[str]]:
        workers = str(bench.options.workers)
        child = bench.counted_shopgraph(
            "ours-in-process", env, "serve", "--no-seed", "--workers", workers, "--port", str(port)
        )
        return child, [child], ["ours-in-process"]

    processes = "process" if bench.options.workers == 1 else "processes"
    add(
        "ours_in_process",
        f"ours, in-process subgraphs ({bench.options.workers} {processes})",
        ours_in_process,
    )

    def ours_http(port: int) -> tuple[Child, list[Child], list[str]]:
        remote = ",".join(f"{name}={url}" for name, url in subgraph_urls.items())
        child = bench.counted_shopgraph(
            "ours-http", env, "serve", "--subgraph-urls", remote, "--port", str(port)
        )
        return child, [child, *http_processes], ["ours-http", *SUBGRAPHS]

    add("ours_http", "ours, over HTTP", ours_http)

    def peer(make: Callable[[int], Child]) -> Callable[[int], tuple[Child, list[Child], list[str]]]:
        def start(port: int) -> tuple[Child, list[Child], list[str]]:
            child = make(port)
            return child, [child, *http_processes], list(SUBGRAPHS)

        return start

    add(
        "apollo",
        "Apollo Gateway 2.14 (Node.js)",
        peer(lambda port: peers.apollo_gateway(started, supergraph, port, logs)),
    )
    add(
        "hive",
        "Hive Gateway 2.15 (Node.js)",
        peer(
            lambda port: peers.hive_gateway(started, supergraph, port, logs, router_runtime=False)
        ),
    )
    add(
        "hive_router",
        "Hive Gateway, --hive-router-runtime (Rust planner)",
        peer(lambda port: peers.hive_gateway(started, supergraph, port, logs, router_runtime=True)),
    )
    add(
        "grafbase",
        "Grafbase gateway 0.80 CLI (grafbase dev, Rust)",
        peer(lambda port: peers.grafbase_gateway(started, subgraph_urls, port, logs)),
    )
    return systems, subgraphs


def _one(child: Child) -> tuple[Child, list[Child], list[str]]:
    return child, [child], []


def check_answers(systems: list[System], workload_list: list[Workload]) -> None:
    reference = next(s for s in systems if s.key == "ours_in_process")
    for workload in workload_list:
        expected = answer(reference.url, workload.body)
        for system in systems:
            if system.unavailable or system is reference:
                continue
            try:
                got = answer(system.url, workload.body)
            except (RuntimeError, httpx.HTTPError, ValueError) as error:
                system.differs[workload.name] = f"error: {error}"[:400]
                continue
            if got != expected:
                system.differs[workload.name] = first_difference(got, expected)
        for system in systems:
            if workload.name in system.differs:
                print(
                    f"  {system.title} answers {workload.name} differently: "
                    f"{system.differs[workload.name]}",
                    flush=True,
                )


def run_checkout(
    bench: Bench, system: System, database_url: str, concurrency: int
) -> dict[str, Any]:
    """Checkouts one shopper at a time per connection: each fills a fresh cart (untimed)
    and completes it with a new idempotency key (timed), through the saga's workers."""
    total = bench.options.checkouts
    variants = asyncio.run(checkout_variants(database_url, total))

    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=60) as client:
            tokens = []
            for n in range(concurrency):
                response = await client.post(
                    system.url,
                    json={
                        "query": "mutation($e: String!, $p: String!) { tokenCreate(email: $e, "
                        "password: $p) { accessToken } }",
                        "variables": {"e": f"customer{n}@shopgraph.dev", "p": "shopgraph-demo"},
                    },
                )
                tokens.append(_data(response, "tokenCreate")["accessToken"])
            latencies: list[float] = []
            statuses: dict[str, int] = {}
            queue = list(enumerate(variants))

            async def shopper(token: str) -> None:
                headers = {"authorization": f"Bearer {token}"}
                while queue:
                    n, variant = queue.pop()
                    cart = await client.post(
                        system.url,
                        headers=headers,
                        json={
                            "query": CHECKOUT_CART,
                            "variables": {"lines": [{"variantId": variant, "quantity": 1}]},
                        },
                    )
                    cart_id = _data(cart, "cartCreate")["cart"]["id"]
                    began = time.perf_counter()
                    response = await client.post(
                        system.url,
                        headers=headers,
                        json={
                            "query": CHECKOUT,
                            "variables": {
                                "cartId": cart_id,
                                "address": ADDRESS,
                                "key": f"bench-{uuid.uuid4().hex}-{n}",
                            },
                        },
                    )
                    latencies.append((time.perf_counter() - began) * 1000)
                    status = str(_data(response, "checkoutComplete")["status"])
                    statuses[status] = statuses.get(status, 0) + 1

            started = time.perf_counter()
            await asyncio.gather(*(shopper(token) for token in tokens))
            elapsed = time.perf_counter() - started
        latencies.sort()
        return {
            "system": system.key,
            "concurrency": concurrency,
            "checkouts": len(latencies),
            "per_second": len(latencies) / elapsed,
            "p50_ms": statistics.median(latencies),
            "p95_ms": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
            "statuses": statuses,
        }

    return asyncio.run(run())


def _data(response: httpx.Response, field: str) -> Any:
    """The answer's `data.<field>`, or an error quoting the answer."""
    try:
        value = response.json()["data"][field]
    except (ValueError, KeyError, TypeError):
        value = None
    if value is None:
        raise RuntimeError(f"{field}: HTTP {response.status_code} {response.text[:300]}")
    return value


def catalog_point(
    bench: Bench, server: str, redis_server: str, products: int, flush: Callable[[], None]
) -> dict[str, Any]:
    """Search latency on a catalog of its own size: our gateway in-process and the floor,
    cold (entity and listing cache flushed before every request) and warm."""
    with contextlib.ExitStack() as stack:
        started = stack.enter_context(children())
        url = bench.options.catalog_databases.get(products)
        load_seconds = None
        if url is None:
            print(f"catalog of {data.size_label(products)} products: loading ...", flush=True)
            url = stack.enter_context(bench_database(server))
            load_seconds = data.load(url, products, bench.env(url, redis_server)).seconds
        else:
            print(f"catalog of {data.size_label(products)} products: {url}", flush=True)
        env = bench.env(url, redis_server)
        sub = Bench(bench.options, Path(tempfile.mkdtemp(dir=bench.logs)), started)
        port, floor_port = free_port(), free_port()
        # No workers: the search needs none, and a new catalog's seed events (an offer per
        # variant, millions at 1m) would otherwise be relayed and consumed while it is timed.
        ours = sub.counted_shopgraph(
            "catalog-ours", env, "serve", "--no-seed", "--no-workers", "--port", str(port)
        )
        floor = spawn(
            started,
            "catalog-floor",
            [sys.executable, "-m", "bench.floor", "--port", str(floor_port)],
            env,
            sub.logs,
        )
        systems = [
            System("ours_in_process", "ours", f"http://127.0.0.1:{port}/graphql", [ours]),
            System("floor", "floor", f"http://127.0.0.1:{floor_port}/graphql", [floor]),
        ]
        for system in systems:
            wait_until_answering(system.processes[0], system.url)
        return _search_points(bench, systems, products, load_seconds, flush)


def _search_points(
    bench: Bench,
    systems: list[System],
    products: int,
    load_seconds: float | None,
    flush: Callable[[], None],
) -> dict[str, Any]:
    body = {"query": SEARCH, "operationName": "Search", "variables": {"filter": SEARCH_FILTER}}
    point: dict[str, Any] = {"products": products, "load_seconds": load_seconds}
    requests = bench.options.count_requests
    for system in systems:
        answer(system.url, body)  # plans and statements prepared
        cold = bench.count_pass(system, body, requests, before_each=flush)
        warm = bench.count_pass(system, body, requests)
        point[system.key] = {"cold_p50_ms": cold["p50_ms"], "warm_p50_ms": warm["p50_ms"]}
    return point


def run(options: Options, *, keep: bool, database_url: str | None) -> Path:
    logs = Path(tempfile.mkdtemp(prefix="shopgraph-bench-"))
    print(f"logs in {logs}", flush=True)
    server = postgres_server_url()
    selected = set(options.systems or [])

    def wanted(key: str) -> bool:
        return not selected or key in selected or key in ("ours_in_process",)

    with contextlib.ExitStack() as stack:
        started = stack.enter_context(children())
        bench = Bench(options, logs, started)
        redis_server = stack.enter_context(private_redis(started, logs)) or redis_url()
        flusher = redis.Redis.from_url(redis_server)
        stack.callback(flusher.close)

        drop_cached = flusher.register_script(DROP_CACHED)

        def flush() -> None:
            drop_cached()

        if database_url is None:
            database_url = stack.enter_context(bench_database(server, keep=keep))
            env = bench.env(database_url, redis_server)
            print(f"loading {options.products:,} products ...", flush=True)
            loaded = data.load(database_url, options.products, env)
            bench.results["load_seconds"] = loaded.seconds
            print(f"loaded in {loaded.seconds:.0f}s", flush=True)
        else:
            env = bench.env(database_url, redis_server)
        targets = asyncio.run(find_targets(database_url))
        workload_list = workloads(targets)

        print("starting subgraphs and gateways ...", flush=True)
        systems, _subgraphs = start_systems(bench, env, database_url, wanted)
        print("waiting for the seed's events to be relayed and consumed ...", flush=True)
        bench.results["quiet_after_seconds"] = wait_until_quiet(database_url, redis_server)
        print(f"quiet after {bench.results['quiet_after_seconds']:.0f}s", flush=True)
        bench.results["systems"] = {
            s.key: {"title": s.title, "unavailable": s.unavailable} for s in systems
        }
        check_answers(systems, workload_list)
        for system in systems:
            bench.results["systems"][system.key]["differs"] = system.differs
        runnable = [s for s in systems if not s.unavailable]

        print("measuring load ...", flush=True)
        for workload in workload_list:
            for concurrency in options.concurrency:
                for system in runnable:
                    if workload.name in system.differs:
                        continue
                    try:
                        row = bench.load(system, workload.name, workload.body, concurrency)
                    except (RuntimeError, subprocess.CalledProcessError, httpx.HTTPError) as error:
                        # One system failing under load must not lose the others' figures.
                        system.differs[workload.name] = f"failed under load: {error}"[:400]
                        bench.results["systems"][system.key]["differs"] = system.differs
                        print(f"  {workload.name} {system.key}: {error}"[:300], flush=True)
                        continue
                    bench.results["load"].append(row)
                    print(
                        f"  {workload.name:<9} c={concurrency:<3} {system.key:<16}"
                        f"{row['rps']:>9.1f} req/s  p50 {row['p50_ms']:>8.1f} ms  "
                        f"p99 {row['p99_ms']:>8.1f} ms  errors {row['errors']}",
                        flush=True,
                    )

        print("counting SQL statements and Redis round trips, cold and warm cache ...", flush=True)
        for workload in workload_list:
            for system in runnable:
                if workload.name in system.differs:
                    continue
                # The previous system's cold pass flushed the cache before each request:
                # one request first, so that "warm" means filled for every system alike.
                answer(system.url, workload.body)
                warm = bench.count_pass(system, workload.body, options.count_requests)
                bench.results["counts"].append(
                    {"system": system.key, "workload": workload.name, **warm}
                )
                if workload.kind == "read":
                    cold = bench.count_pass(
                        system, workload.body, options.count_requests, before_each=flush
                    )
                    bench.results["cache"].append(
                        {
                            "system": system.key,
                            "workload": workload.name,
                            "cold": cold,
                            "warm": warm,
                        }
                    )

        if options.page_sizes:
            print("listing latency against page size ...", flush=True)
            for size in options.page_sizes:
                body = listing_body(size)
                for system in runnable:
                    if system.key not in ("floor", "ours_in_process", "ours_http"):
                        continue
                    # One round per point: the curve's shape, not its spread, is the point.
                    loaded_row = bench.load(system, f"listing-{size}", body, 10, rounds=1)
                    cold = bench.count_pass(system, body, 5, before_each=flush)
                    bench.results["page_size"].append(
                        {
                            "system": system.key,
                            "page_size": size,
                            "rps": loaded_row["rps"],
                            "p50_ms": loaded_row["p50_ms"],
                            "cold_sql_per_request": cold["sql_per_request"],
                            "cold_p50_ms": cold["p50_ms"],
                        }
                    )

        if options.checkouts:
            print("checkout ...", flush=True)
            for system in runnable:
                if system.key == "floor":
                    continue
                for concurrency in sorted({1, min(10, max(options.concurrency))}):
                    try:
                        row = run_checkout(bench, system, database_url, concurrency)
                    except (httpx.HTTPError, KeyError, TypeError, RuntimeError) as error:
                        row = {
                            "system": system.key,
                            "concurrency": concurrency,
                            "error": str(error),
                        }
                    bench.results["checkout"].append(row)
                    print(f"  checkout c={concurrency} {system.key}: {row}", flush=True)

        if options.catalog_sizes:
            print("search latency against catalog size ...", flush=True)
            main_systems = [s for s in runnable if s.key in ("floor", "ours_in_process")]
            # The subgraph processes and peers stay idle from here; stop them, so that
            # the catalog points are measured on a quiet machine.
            for system in runnable:
                if system.key not in ("floor", "ours_in_process"):
                    for child in system.processes:
                        child.stop()
            for size in options.catalog_sizes:
                if size == options.products:
                    point = _search_points(
                        bench, main_systems, size, bench.results.get("load_seconds"), flush
                    )
                else:
                    point = catalog_point(bench, server, redis_server, size, flush)
                bench.results["catalog_size"].append(point)
                print(f"  {point}", flush=True)

    bench.results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(bench.results, indent=1) + "\n")
    from bench.report import write_report

    report = write_report(bench.results, RESULTS)
    print(f"report: {report}")
    return report


def parse_catalog_database(text: str) -> tuple[int, str]:
    size, separator, url = text.partition("=")
    if not separator or not url:
        raise SystemExit(
            f"--catalog-database wants SIZE=URL (e.g. 1m=postgresql://...), not {text!r}"
        )
    return data.parse_size(size), url


def parse_sizes(text: str) -> list[int]:
    return [data.parse_size(item) for item in text.split(",") if item.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a few minutes, for a first look")
    parser.add_argument("--products", type=data.parse_size, help="10k, 100k (default), 1m")
    parser.add_argument("--concurrency", help="comma-separated (default 1,10,50)")
    parser.add_argument("--rounds", type=int, help="timed rounds per measurement (default 3)")
    parser.add_argument("--duration", type=float, help="seconds per round (default 3)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up (default 1.5)")
    parser.add_argument(
        "--catalog-sizes",
        help="search latency at these catalog sizes (default 10k,100k; add 1m for a million "
        "products, about 15 more minutes of loading)",
    )
    parser.add_argument(
        "--catalog-database",
        action="append",
        default=[],
        metavar="SIZE=URL",
        help="a catalog size already loaded (`python -m bench.data --size 1m --keep`), "
        "measured there instead of loading it again; repeatable",
    )
    parser.add_argument("--systems", help="only these, e.g. floor,ours_http,apollo")
    parser.add_argument("--checkouts", type=int, help="checkouts per system and concurrency")
    parser.add_argument(
        "--page-sizes",
        help=f"listing page sizes to sweep (default {','.join(map(str, PAGE_SIZES))})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="processes of our in-process gateway (`serve --workers`; default: one per core)",
    )
    parser.add_argument("--database-url", help="an already loaded bench database to reuse")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args(argv)
    quick = args.quick
    options = Options(
        products=args.products or (data.SIZES["10k"] if quick else data.SIZES["100k"]),
        concurrency=[
            int(c) for c in (args.concurrency or ("10" if quick else "1,10,50")).split(",")
        ],
        rounds=args.rounds or (1 if quick else 3),
        duration=args.duration or (2.0 if quick else 3.0),
        warmup=args.warmup or (1.0 if quick else 1.5),
        catalog_sizes=parse_sizes(args.catalog_sizes or ("" if quick else "10k,100k")),
        page_sizes=(
            [int(size) for size in args.page_sizes.split(",") if size]
            if args.page_sizes is not None
            else ([] if quick else list(PAGE_SIZES))
        ),
        count_requests=5 if quick else 15,
        checkouts=args.checkouts if args.checkouts is not None else (0 if quick else 40),
        systems=args.systems.split(",") if args.systems else None,
        quick=quick,
        workers=args.workers or os.cpu_count() or 1,
        catalog_databases=dict(parse_catalog_database(item) for item in args.catalog_database),
    )
    run(options, keep=args.keep, database_url=args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
