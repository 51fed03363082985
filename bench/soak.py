"""Soak: mixed storefront traffic for minutes while Redis and a subgraph are each killed
and restarted, then a consistency audit of everything the traffic did.

    task bench:soak                      # 10 minutes, 10 shoppers
    task bench:soak -- --minutes 3 --shoppers 6

Localhost only, bounded in time: the platform runs as it is deployed, one process per
subgraph (each with its own workers) behind `shopgraph serve --subgraph-urls`, on a
fresh database and a Redis of its own. Shoppers browse (listings, search, product
pages), fill guest carts, and check out and pay as signed-in customers, in roughly a
shop's proportions. A third of the way in Redis is killed (SIGKILL, nothing on disk) and
started again empty; two thirds in, the orders subgraph is killed and started again.

It reports the error rate outside the fault windows (target 0), p50/p99 latency per
operation, resident memory and open connections over time (a chart: they should stay
flat after warm-up), and the audit at the end. Results go to bench/results/soak.md,
soak.json and soak.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from bench.harness import (
    ROOT,
    Child,
    bench_database,
    children,
    free_port,
    postgres_server_url,
    python_env,
    shopgraph,
    spawn,
    wait_until_answering,
)
from bench.workloads import ADDRESS, CHECKOUT, PRODUCT_PAGE, SEARCH, STOREFRONT_LISTING

RESULTS = ROOT / "bench" / "results"
DOMAINS = ("users", "products", "carts", "orders", "payments")
# After a fault is repaired, answers may still fail while connections and consumers come
# back; errors this long after the repair still count as the fault's.
RECOVERY_GRACE_SECONDS = 15.0
SAMPLE_EVERY_SECONDS = 5.0

# Shares of a shopper's steps, close to a shop's traffic: mostly browsing.
MIX = (
    ("listing", 35),
    ("search", 20),
    ("product", 20),
    ("cart", 15),
    ("checkout", 10),
)
# Payload errors a shopper can meet in a healthy shop: answers, not failures.
EXPECTED_REFUSALS = frozenset(
    {"INSUFFICIENT_STOCK", "PRICE_CHANGED", "CART_CLOSED", "VARIANT_UNAVAILABLE", "NOT_FOUND"}
)

SIGN_IN = """
mutation SignIn($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) { accessToken errors { code } }
}
"""
GUEST_CART = """
mutation GuestCart($lines: [CartLineInput!]) {
  cartCreate(lines: $lines) { cart { id totalQuantity } errors { code message } }
}
"""
CUSTOMER_CART = """
mutation CustomerCart($lines: [CartLineInput!]) {
  cartCreate(lines: $lines) { cart { id } errors { code message } }
}
"""
MY_CART = """
query MyCart { me { cart { id lines { id } } } }
"""
CLEAR_CART = """
mutation ClearCart($id: ID!, $lines: [ID!]!) {
  cartLinesRemove(cartId: $id, lineIds: $lines) { cart { id } errors { code } }
}
"""
ORDER_PAYMENT = """
query OrderPayment($id: ID!) { order(id: $id) { status payment { id status } } }
"""
PAY = """
mutation Pay($id: ID!) {
  paymentSimulate(paymentId: $id, outcome: SUCCEED) { payment { status } errors { code } }
}
"""
TARGETS = """
query Targets { products(first: 100, sort: NEWEST, filter: {inStock: true}) {
  nodes { slug variants { id inventory { quantityAvailable } } } } }
"""


@dataclass
class Sample:
    at: float
    op: str
    ms: float
    outcome: str  # ok | refused | error
    detail: str = ""


@dataclass
class Fault:
    name: str
    started: float
    repaired: float = 0.0

    def covers(self, at: float) -> bool:
        end = (self.repaired or float("inf")) + RECOVERY_GRACE_SECONDS
        return self.started <= at <= end


@dataclass
class Gauge:
    at: float
    rss_mb: float
    postgres_connections: int
    redis_clients: int


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    gauges: list[Gauge] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)


class Platform:
    """The subgraphs and the gateway as processes, and the Redis they share."""

    def __init__(self, started: list[Child], database_url: str, logs: Path) -> None:
        from tests.support.private_redis import PrivateRedis

        self.started = started
        self.logs = logs
        self.redis = PrivateRedis()
        self.redis.start()
        self.env = python_env(
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": self.redis.url,
                "APP_ENV": "development",
                "SHOPGRAPH_DATA_DIR": str(logs / "data"),
                "PAYMENTS_PROVIDER": "local",
                "CHECKOUT_WAIT": "5s",
                # The soak measures resilience from one address; the limiter would
                # answer 429 to what is in truth many shoppers.
                "RATE_LIMIT_ENABLED": "false",
                "LOG_FORMAT": "text",
            }
        )
        self.ports = {name: free_port() for name in DOMAINS}
        self.gateway_port = free_port()
        self.subgraphs: dict[str, Child] = {}
        self.gateway: Child | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}/graphql"

    def prepare(self, products: int, customers: int) -> None:
        import subprocess

        for command in (
            shopgraph("migrate", "up"),
            shopgraph(
                "seed",
                "--products",
                str(products),
                "--customers",
                str(customers),
                "--no-images",
            ),
        ):
            subprocess.run(command, cwd=ROOT, env=self.env, check=True, capture_output=True)

    def start_subgraph(self, name: str) -> None:
        child = spawn(
            self.started,
            f"{name}-{len(self.started)}",
            shopgraph("subgraph", name, "--port", str(self.ports[name]), "--no-migrate"),
            self.env,
            self.logs,
        )
        wait_until_answering(child, f"http://127.0.0.1:{self.ports[name]}/graphql")
        self.subgraphs[name] = child

    def start(self) -> None:
        for name in DOMAINS:
            self.start_subgraph(name)
        urls = ",".join(f"{n}=http://127.0.0.1:{p}/graphql" for n, p in self.ports.items())
        self.gateway = spawn(
            self.started,
            "gateway",
            shopgraph("serve", "--subgraph-urls", urls, "--port", str(self.gateway_port)),
            self.env,
            self.logs,
        )
        wait_until_answering(self.gateway, self.url)

    def kill_subgraph(self, name: str) -> None:
        child = self.subgraphs.pop(name)
        child.process.kill()
        child.process.wait()

    def processes(self) -> list[Child]:
        return [*self.subgraphs.values(), *([self.gateway] if self.gateway else [])]


async def _post(
    client: httpx.AsyncClient,
    run: Run,
    op: str,
    query: str,
    variables: dict[str, Any],
    token: str | None = None,
) -> dict[str, Any] | None:
    """One request, recorded; the data, or None when it failed."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    started = time.monotonic()
    try:
        response = await client.post(
            str(client.base_url).rstrip("/"),
            json={"query": query, "variables": variables},
            headers=headers,
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        run.samples.append(
            Sample(time.time(), op, _ms(started), "error", f"{type(error).__name__}")
        )
        return None
    if response.status_code != 200 or body.get("errors"):
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
        run.samples.append(
            Sample(time.time(), op, _ms(started), "error", f"{response.status_code} {codes}")
        )
        return None
    data: dict[str, Any] = body.get("data") or {}
    refusals = [
        error["code"]
        for payload in data.values()
        if isinstance(payload, dict)
        for error in payload.get("errors") or []
    ]
    if refusals and not set(refusals) <= EXPECTED_REFUSALS:
        run.samples.append(Sample(time.time(), op, _ms(started), "error", str(refusals)))
        return None
    outcome = "refused" if refusals else "ok"
    run.samples.append(Sample(time.time(), op, _ms(started), outcome, ",".join(refusals)))
    return data


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


async def _shopper(
    index: int,
    url: str,
    run: Run,
    targets: dict[str, Any],
    until: float,
    seed: int,
) -> None:
    rng = random.Random(seed)
    ops = [op for op, _ in MIX]
    weights = [float(weight) for _, weight in MIX]
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        signed_in = await _post(
            client,
            run,
            "sign-in",
            SIGN_IN,
            {"email": f"customer{index}@shopgraph.dev", "password": "shopgraph-demo"},
        )
        token = (signed_in or {}).get("tokenCreate", {}).get("accessToken")
        while time.time() < until:
            op = rng.choices(ops, weights)[0]
            variant = rng.choice(targets["variants"])
            if op == "listing":
                await _post(client, run, op, STOREFRONT_LISTING, {"first": 24})
            elif op == "search":
                word = rng.choice(["linen", "wool", "jeens", "lamp", "boots", "mug"])
                await _post(client, run, op, SEARCH, {"filter": {"search": word}})
            elif op == "product":
                await _post(client, run, op, PRODUCT_PAGE, {"slug": rng.choice(targets["slugs"])})
            elif op == "cart":
                await _post(
                    client, run, op, GUEST_CART, {"lines": [{"variantId": variant, "quantity": 1}]}
                )
            elif token is not None:
                await _checkout_and_pay(client, run, token, variant)
            await asyncio.sleep(rng.uniform(0.05, 0.25))  # a person's pause between steps


async def _checkout_and_pay(client: httpx.AsyncClient, run: Run, token: str, variant: str) -> None:
    # A shopper's open cart keeps what a refused checkout (no stock) left in it: empty it
    # first, as a person buying one thing would, or the lines pile up to the cart's limit.
    mine = await _post(client, run, "cart", MY_CART, {}, token)
    open_cart = ((mine or {}).get("me") or {}).get("cart")
    if open_cart and open_cart["lines"]:
        await _post(
            client,
            run,
            "cart",
            CLEAR_CART,
            {"id": open_cart["id"], "lines": [line["id"] for line in open_cart["lines"]]},
            token,
        )
    cart = await _post(
        client,
        run,
        "checkout",
        CUSTOMER_CART,
        {"lines": [{"variantId": variant, "quantity": 1}]},
        token,
    )
    cart_id = ((cart or {}).get("cartCreate", {}).get("cart") or {}).get("id")
    if cart_id is None:
        return
    placed = await _post(
        client,
        run,
        "checkout",
        CHECKOUT,
        {"cartId": cart_id, "address": ADDRESS, "key": uuid.uuid4().hex},
        token,
    )
    order = ((placed or {}).get("checkoutComplete") or {}).get("order")
    if order is None:
        return
    run.orders.append(order["id"])
    for _ in range(40):
        seen = await _post(client, run, "order", ORDER_PAYMENT, {"id": order["id"]}, token)
        payment = ((seen or {}).get("order") or {}).get("payment")
        if payment is not None and payment["status"] == "REQUIRES_ACTION":
            await _post(client, run, "pay", PAY, {"id": payment["id"]}, token)
            return
        await asyncio.sleep(0.25)


async def _gauge(platform: Platform, run: Run, until: float, database: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(database)
    try:
        while time.time() < until:
            rss = sum(_rss_mb(pid) for child in platform.processes() for pid in child.pids())
            connections = int(
                await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                )
            )
            clients = -1
            try:
                async with Redis.from_url(platform.redis.url, socket_timeout=1) as redis:
                    clients = int((await redis.info("clients"))["connected_clients"]) - 1
            except Exception:  # Redis is down during its fault: recorded as -1
                clients = -1
            run.gauges.append(Gauge(time.time(), rss, connections - 1, clients))
            await asyncio.sleep(SAMPLE_EVERY_SECONDS)
    finally:
        await admin.close()


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def _faults(platform: Platform, run: Run, started: float, seconds: float) -> None:
    await asyncio.sleep(seconds / 3)
    redis_fault = Fault("Redis killed, restarted empty", time.time())
    run.faults.append(redis_fault)
    platform.redis.kill()
    await asyncio.sleep(5)
    platform.redis.start()
    redis_fault.repaired = time.time()

    await asyncio.sleep(max(seconds * 2 / 3 - (time.time() - started), 0))
    subgraph_fault = Fault("orders subgraph killed, restarted", time.time())
    run.faults.append(subgraph_fault)
    platform.kill_subgraph("orders")
    await asyncio.sleep(5)
    await asyncio.to_thread(platform.start_subgraph, "orders")
    subgraph_fault.repaired = time.time()


async def _soak(platform: Platform, database: str, args: argparse.Namespace) -> Run:
    run = Run()
    async with httpx.AsyncClient(timeout=30) as client:
        data = (await client.post(platform.url, json={"query": TARGETS})).json()["data"]
    products = data["products"]["nodes"]
    targets = {
        "slugs": [product["slug"] for product in products],
        "variants": [
            variant["id"]
            for product in products
            for variant in product["variants"]
            if variant["inventory"]["quantityAvailable"] > 0
        ],
    }
    seconds = args.minutes * 60
    started = time.time()
    until = started + seconds
    await asyncio.gather(
        *(
            _shopper(index, platform.url, run, targets, until, seed=index)
            for index in range(args.shoppers)
        ),
        _gauge(platform, run, until, database),
        _faults(platform, run, started, seconds),
    )
    return run


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def summarise(run: Run, audit: list[str], warmup_share: float = 0.2) -> dict[str, Any]:
    inside = [s for s in run.samples if any(f.covers(s.at) for f in run.faults)]
    outside = [s for s in run.samples if not any(f.covers(s.at) for f in run.faults)]
    errors_outside = [s for s in outside if s.outcome == "error"]
    by_op: dict[str, dict[str, float]] = {}
    for op in sorted({s.op for s in outside}):
        times = [s.ms for s in outside if s.op == op and s.outcome != "error"]
        by_op[op] = {
            "requests": len([s for s in outside if s.op == op]),
            "p50_ms": round(_percentile(times, 0.5), 1),
            "p99_ms": round(_percentile(times, 0.99), 1),
        }
    gauges = run.gauges
    warm = gauges[int(len(gauges) * warmup_share)] if gauges else None
    last = gauges[-1] if gauges else None
    return {
        "requests": len(run.samples),
        "requests_outside_faults": len(outside),
        "errors_outside_faults": len(errors_outside),
        "error_rate_outside_faults": (len(errors_outside) / len(outside)) if outside else 0.0,
        "errors_during_faults": len([s for s in inside if s.outcome == "error"]),
        "error_examples_outside": sorted({f"{s.op}: {s.detail}" for s in errors_outside})[:10],
        "orders": len(run.orders),
        "latency": by_op,
        "p99_ms_all": round(_percentile([s.ms for s in outside if s.outcome != "error"], 0.99), 1),
        "rss_mb_after_warmup": round(warm.rss_mb, 1) if warm else None,
        "rss_mb_at_end": round(last.rss_mb, 1) if last else None,
        "rss_growth_after_warmup": (
            round((last.rss_mb - warm.rss_mb) / warm.rss_mb, 3) if warm and last else None
        ),
        "postgres_connections_max": max((g.postgres_connections for g in gauges), default=0),
        "redis_clients_max": max((g.redis_clients for g in gauges), default=0),
        "faults": [asdict(f) for f in run.faults],
        "audit": audit,
    }


def chart(run: Run, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    start = run.gauges[0].at if run.gauges else 0.0
    minutes = [(g.at - start) / 60 for g in run.gauges]
    figure, (memory, connections) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    memory.plot(minutes, [g.rss_mb for g in run.gauges], label="resident memory, all processes")
    memory.set_ylabel("MiB")
    memory.legend(loc="lower right")
    connections.plot(minutes, [g.postgres_connections for g in run.gauges], label="Postgres")
    connections.plot(minutes, [g.redis_clients for g in run.gauges], label="Redis clients")
    connections.set_ylabel("open connections")
    connections.set_xlabel("minutes")
    connections.legend(loc="lower right")
    for fault in run.faults:
        for axis in (memory, connections):
            axis.axvspan(
                (fault.started - start) / 60,
                ((fault.repaired or fault.started) + RECOVERY_GRACE_SECONDS - start) / 60,
                color="orange",
                alpha=0.2,
            )
    memory.set_title("Soak: shaded, a fault and its recovery")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def report(summary: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        "# Soak",
        "",
        f"{args.minutes} minutes, {args.shoppers} shoppers, {args.products} products; the "
        "platform as deployed (a process per subgraph, the gateway over HTTP), Redis "
        "killed and restarted empty a third of the way in, the orders subgraph killed "
        "and restarted two thirds in.",
        "",
        f"- requests: {summary['requests']} ({summary['requests_outside_faults']} outside "
        f"the fault windows), orders placed: {summary['orders']}",
        f"- errors outside the fault windows: {summary['errors_outside_faults']} "
        f"({summary['error_rate_outside_faults']:.4%}); during them: "
        f"{summary['errors_during_faults']}",
        f"- p99 outside the faults, every operation: {summary['p99_ms_all']} ms",
        f"- resident memory after warm-up {summary['rss_mb_after_warmup']} MiB, at the end "
        f"{summary['rss_mb_at_end']} MiB (growth {summary['rss_growth_after_warmup']})",
        f"- most open connections: Postgres {summary['postgres_connections_max']}, Redis "
        f"{summary['redis_clients_max']}",
        "- consistency audit: "
        + ("clean" if not summary["audit"] else f"{len(summary['audit'])} problems"),
        "",
        "| operation | requests | p50 ms | p99 ms |",
        "| --- | --- | --- | --- |",
    ]
    for op, figures in summary["latency"].items():
        lines.append(
            f"| {op} | {figures['requests']} | {figures['p50_ms']} | {figures['p99_ms']} |"
        )
    if summary["audit"]:
        lines += ["", "Audit problems:", *(f"- {problem}" for problem in summary["audit"])]
    if summary["error_examples_outside"]:
        lines += [
            "",
            "Errors outside faults:",
            *(f"- {e}" for e in summary["error_examples_outside"]),
        ]
    lines += ["", "![soak](soak.png)", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--shoppers", type=int, default=10)
    parser.add_argument("--products", type=int, default=2_000)
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.shoppers < 1:
        parser.error("--minutes must be positive and --shoppers at least 1")
    RESULTS.mkdir(parents=True, exist_ok=True)
    logs = RESULTS / "soak-logs"
    logs.mkdir(exist_ok=True)
    with bench_database(postgres_server_url()) as database, children() as started:
        platform = Platform(started, database, logs)
        try:
            platform.prepare(args.products, max(args.shoppers, 20))
            platform.start()
            print(f"soak: {args.minutes} min, {args.shoppers} shoppers at {platform.url}")
            run = asyncio.run(_soak(platform, database, args))
            audit = asyncio.run(_audit_after_quiescence(database, platform.redis.url))
        finally:
            for child in reversed(started):
                child.stop()
            platform.redis.kill()
    summary = summarise(run, audit)
    (RESULTS / "soak.json").write_text(json.dumps(summary, indent=2, default=str))
    chart(run, RESULTS / "soak.png")
    text = report(summary, args)
    (RESULTS / "soak.md").write_text(text)
    print(text)
    return 0


async def _audit_after_quiescence(database: str, redis_url: str) -> list[str]:
    """The consistency audit (tests/support/consistency.py), once the workers have
    finished what the traffic left, or its findings after two minutes."""
    from domains.kit.config import Settings
    from tests.support.consistency import settled

    return await settled(Settings(database_url=database, redis_url=redis_url), seconds=120.0)


if __name__ == "__main__":
    sys.exit(main())
