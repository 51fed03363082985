"""Flash sale: N shoppers race for M units of one variant, each with their own cart and
idempotency key, arriving over a few seconds. Exactly M orders must be placed, every
other shopper refused INSUFFICIENT_STOCK, and the stock must add up afterwards.

    task bench:flash                              # 1,000 shoppers, 100 units, 3 rounds
    task bench:flash -- --shoppers 300 --units 30 --rounds 1

Localhost only and bounded: `shopgraph serve --workers 2` (the platform in-process, one
process per core) on a fresh database and a Redis of its own. Shoppers are signed in
with tokens minted from the platform's own key pair, so a thousand sign-ins (a password
hash each) are not part of what is measured. It prints, per round: orders placed,
refusals by code, decision latency p50/p95/p99 (from the request to a decided
checkout: AWAITING_PAYMENT or FAILED), checkouts decided per second, the time until the
last shopper had an answer, and the stock audit. Results go to bench/results/flash.md
and flash.json.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.counting import fresh_counts, read_counts
from bench.cpu import cpu_seconds_by_kind, milliseconds_per_unit, reference_loop_ms
from bench.harness import (
    ROOT,
    bench_database,
    children,
    free_port,
    postgres_server_url,
    python_env,
    shopgraph,
    spawn,
    wait_until_answering,
)

RESULTS = ROOT / "bench" / "results"

CART = """
mutation Cart($lines: [CartLineInput!]) {
  cartCreate(lines: $lines) { cart { id } errors { code } }
}
"""
CHECKOUT = """
mutation Checkout($cartId: ID!, $address: ShippingAddressInput!, $key: String!) {
  checkoutComplete(cartId: $cartId, shippingAddress: $address, idempotencyKey: $key) {
    status
    order { id status failureReason }
    errors { code }
  }
}
"""


@dataclass
class Answer:
    shopper: int
    started: float
    decided: float
    outcome: str  # ORDERED | a refusal code | ERROR


@dataclass
class RoundResult:
    answers: list[Answer] = field(default_factory=list)
    audit: dict[str, int] = field(default_factory=dict)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def _race(
    url: str,
    tokens: list[str],
    variant: str,
    arrival_seconds: float,
    on_start: Callable[[], None] = lambda: None,
) -> list[Answer]:
    """The shoppers, in Node (tools/bench/flash.mjs): carts first, then the race, at whose
    start `on_start` is called."""
    import tempfile

    from tests.support.apollo import default_toolchain

    node, _npm = default_toolchain()
    with (
        tempfile.NamedTemporaryFile("w", suffix=".json") as shoppers,
        tempfile.TemporaryFile("w+") as answers,
    ):
        json.dump(tokens, shoppers)
        shoppers.flush()
        # The answers go to a file: read from a pipe only after stderr ends, a thousand
        # of them would fill it, and Node would wait on it forever.
        with subprocess.Popen(
            [
                node,
                str(ROOT / "tools" / "bench" / "flash.mjs"),
                *("--url", url, "--shoppers-file", shoppers.name),
                *("--variant", variant, "--arrival", str(arrival_seconds)),
            ],
            stdout=answers,
            stderr=subprocess.PIPE,
            text=True,
        ) as shoppers_process:
            assert shoppers_process.stderr is not None
            problems = []
            for line in shoppers_process.stderr:
                if line.strip() == "race":
                    on_start()
                else:
                    problems.append(line)
        if shoppers_process.returncode != 0:
            raise RuntimeError(f"flash.mjs failed: {''.join(problems)[-2000:]}")
        answers.seek(0)
        output = answers.read()
    return [
        Answer(
            shopper=int(item["shopper"]),
            started=float(item["started"]) / 1000,
            decided=float(item["decided"]) / 1000,
            outcome=str(item["outcome"]),
        )
        for item in json.loads(output)["answers"]
    ]


class LockWaits:
    """Samples, every few milliseconds while the race runs, the sessions of the bench
    database that wait for a lock (`pg_stat_activity.wait_event_type = 'Lock'`): whether
    one hot inventory row holds the saga back, or not."""

    INTERVAL_SECONDS = 0.01

    def __init__(self, database: str) -> None:
        self.database = database
        self.samples = 0
        self.samples_waiting = 0
        self.most_waiting = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._sample()), daemon=True)

    def __enter__(self) -> LockWaits:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    async def _sample(self) -> None:
        connection = await asyncpg.connect(self.database)
        try:
            while not self._stop.is_set():
                waiting = int(
                    await connection.fetchval(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                self.samples += 1
                self.samples_waiting += waiting > 0
                self.most_waiting = max(self.most_waiting, waiting)
                await asyncio.sleep(self.INTERVAL_SECONDS)
        finally:
            await connection.close()

    def summary(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "share_with_a_lock_wait": round(self.samples_waiting / max(self.samples, 1), 3),
            "most_sessions_waiting": self.most_waiting,
        }


async def _stock(database: str, variant: str) -> dict[str, int]:
    connection = await asyncpg.connect(database)
    try:
        row = await connection.fetchrow(
            "SELECT on_hand, reserved FROM products.inventory WHERE variant_id = $1",
            uuid.UUID(variant),
        )
        held = await connection.fetchval(
            "SELECT coalesce(sum(quantity), 0) FROM products.stock_reservations "
            "WHERE variant_id = $1 AND status = 'RESERVED'",
            uuid.UUID(variant),
        )
        orders = await connection.fetchval(
            "SELECT count(DISTINCT o.id) FROM orders.orders o "
            "JOIN orders.order_lines l ON l.order_id = o.id "
            "WHERE l.variant_id = $1 AND o.status = 'AWAITING_PAYMENT'",
            uuid.UUID(variant),
        )
        # Every checkout the admission gate let into the saga has an order, whatever
        # became of it: those beyond the units are the saga work a rush wastes.
        sagas = await connection.fetchval(
            "SELECT count(DISTINCT l.order_id) FROM orders.order_lines l WHERE l.variant_id = $1",
            uuid.UUID(variant),
        )
        return {
            "on_hand": int(row["on_hand"]),
            "reserved": int(row["reserved"]),
            "reservations_held": int(held),
            "orders_awaiting_payment": int(orders),
            "orders_placed": int(sagas),
        }
    finally:
        await connection.close()


async def _work_done(database: str, redis_url: str) -> tuple[int, int]:
    """Transactions committed in the database and commands Redis has run, so far: the
    difference over a round, per checkout, is what a checkout costs (carts, orders,
    products and payments together, requests and background workers alike)."""
    from redis.asyncio import Redis

    connection = await asyncpg.connect(database)
    try:
        commits = int(
            await connection.fetchval(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            )
        )
    finally:
        await connection.close()
    async with Redis.from_url(redis_url) as redis:
        commands = int((await redis.info("stats"))["total_commands_processed"])
    return commits, commands


CREATE_PRODUCT = """
mutation Create($input: ProductCreateInput!) {
  productCreate(input: $input) { product { id } errors { code message } }
}
"""
CREATE_VARIANT = """
mutation Variant($product: ID!, $input: VariantCreateInput!) {
  variantCreate(productId: $product, input: $input) { variant { id } errors { code message } }
}
"""
ACTIVATE = """
mutation Activate($id: ID!) {
  productUpdate(id: $id, input: {status: ACTIVE}) { product { status } errors { code } }
}
"""


def _on_sale(url: str, staff_token: str, units: int, number: int) -> str:
    """A new product of one variant with `units` in stock, created as staff would: each
    round races for stock nobody has touched, and every domain hears of it by events."""
    from domains.kit.seeding import seed_id

    headers = {"authorization": f"Bearer {staff_token}"}

    def call(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = httpx.post(
            url, json={"query": query, "variables": variables}, headers=headers, timeout=30
        ).json()
        if body.get("errors"):
            raise RuntimeError(f"setting up the sale failed: {body['errors']}")
        data: dict[str, Any] = body["data"]
        return data

    product = call(
        CREATE_PRODUCT,
        {
            "input": {
                "name": f"Limited Edition Sneaker {number}",
                "sellerId": str(seed_id("seller", 0)),
            }
        },
    )["productCreate"]["product"]["id"]
    variant = call(
        CREATE_VARIANT,
        {
            "product": product,
            "input": {
                "sku": f"FLASH-{number}-{uuid.uuid4().hex[:6]}",
                "price": {"amount": 12_900, "currency": "USD"},
                "stock": units,
            },
        },
    )["variantCreate"]["variant"]["id"]
    call(ACTIVATE, {"id": product})
    return str(variant)


def _tokens(
    private_pem: str, public_pem: str, customers: range, roles: tuple[str, ...] = ("CUSTOMER",)
) -> list[str]:
    """Access tokens of seeded accounts (seed ids), as tokenCreate would issue them."""
    from domains.kit.auth import JwtKeys
    from domains.kit.seeding import seed_id
    from domains.users.tokens import issue_access_token

    keys = JwtKeys(private_pem=private_pem, public_pem=public_pem)
    return [
        issue_access_token(
            keys,
            user_id=seed_id("user", "staff" if "STAFF" in roles else f"customer-{n}"),
            roles=list(roles),
            session_id=uuid.uuid4(),
            issuer="shopgraph",
            lifetime=timedelta(hours=1),
        )[0]
        for n in customers
    ]


def summarise(round_number: int, result: RoundResult, units: int) -> dict[str, Any]:
    answers = result.answers
    outcomes = Counter(answer.outcome for answer in answers)
    latencies = [(a.decided - a.started) * 1000 for a in answers]
    first = min(a.started for a in answers)
    last = max(a.decided for a in answers)
    audit = result.audit
    # From the database alone: every unit is on hand (nothing is paid yet), and the
    # reserved ones are held by exactly the orders awaiting payment.
    clean = (
        audit["on_hand"] == units
        and audit["reserved"] == audit["reservations_held"] == audit["orders_awaiting_payment"]
    )
    return {
        "round": round_number,
        "orders": outcomes["ORDERED"],
        "outcomes": dict(outcomes),
        "decision_p50_ms": round(_percentile(latencies, 0.50), 1),
        "decision_p95_ms": round(_percentile(latencies, 0.95), 1),
        "decision_p99_ms": round(_percentile(latencies, 0.99), 1),
        "decided_per_second": round(len(answers) / max(last - first, 1e-9), 1),
        "seconds_until_last_answer": round(last - first, 2),
        # Orders the database holds (a shopper whose answer was lost still has one).
        "exactly_units_ordered": audit["orders_awaiting_payment"] == units,
        "stock": audit,
        "stock_audit_clean": clean,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.flash", description=__doc__)
    parser.add_argument("--shoppers", type=int, default=1_000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--arrival-seconds", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--workers-in-serve",
        action="store_true",
        help="run the background workers inside the first serving process (serve's "
        "default) instead of a `shopgraph worker` process of their own",
    )
    parser.add_argument(
        "--checkout-shoppers",
        default="1,10,50",
        help="the ordinary checkout workload at these numbers of shoppers at once, "
        "in-process and over HTTP ('' to skip)",
    )
    parser.add_argument(
        "--checkouts",
        type=int,
        default=120,
        help="checkouts per level of the ordinary workload (at least 4 per shopper)",
    )
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="keep the bench database afterwards, to study its outboxes and orders",
    )
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.checkout_shoppers.split(",") if level.strip()]
    if args.units < 1 or args.shoppers < args.units or args.rounds < 1:
        parser.error("need --units >= 1, --shoppers >= --units and --rounds >= 1")
    from domains.kit.auth import JwtKeys
    from tests.support.private_redis import PrivateRedis

    RESULTS.mkdir(parents=True, exist_ok=True)
    logs = RESULTS / "flash-logs"
    logs.mkdir(exist_ok=True)
    keys = JwtKeys.generate()
    assert keys.private_pem is not None
    redis = PrivateRedis()
    redis.start()
    summaries: list[dict[str, Any]] = []
    ordinary: list[dict[str, Any]] = []
    machine = {"reference_loop_ms_before": reference_loop_ms()}
    per_level = {level: max(args.checkouts, 4 * level) for level in levels}
    # The flash crowds, then the ordinary workload's customers, in-process and over HTTP.
    crowds = args.shoppers * args.rounds
    customers = crowds + 2 * sum(per_level.values())
    try:
        with (
            bench_database(postgres_server_url(), keep=args.keep_database) as database,
            children() as started,
        ):
            port = free_port()
            env = python_env(
                {
                    "DATABASE_URL": database,
                    "REDIS_URL": redis.url,
                    "JWT_PRIVATE_KEY": keys.private_pem,
                    "JWT_PUBLIC_KEY": keys.public_pem,
                    "SHOPGRAPH_DATA_DIR": str(logs / "data"),
                    "PAYMENTS_PROVIDER": "local",
                    "CHECKOUT_WAIT": "10s",
                    "RATE_LIMIT_ENABLED": "false",
                    "LOG_FORMAT": "text",
                }
            )
            for command in (
                shopgraph("migrate", "up"),
                shopgraph(
                    "seed",
                    "--products",
                    "20",
                    # A new crowd each round: a customer has one open cart at a time.
                    *("--customers", str(customers), "--no-images"),
                ),
            ):
                subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
            counts = logs / "counts"
            counts.mkdir(exist_ok=True)
            for stale in counts.glob("*.json"):
                stale.unlink()

            def counted(name: str, *argv: str) -> tuple[list[str], dict[str, str]]:
                return _counted(counts, env, name, *argv)

            serve_args = ["serve", "--no-seed", "--port", str(port), "--workers", str(args.workers)]
            if not args.workers_in_serve:
                # As deployed (k8s/components/workers): each domain's relay and consumers
                # in a process of their own, where the requests waiting on them cannot
                # slow them down and the domains' sagas run in parallel.
                serve_args.append("--no-workers")
                # Orders twice: it is the sagas' hub (a checkout request and a stock answer
                # per shopper), and its consumer group shares the entries between them.
                for domain in ("users", "products", "carts", "orders", "orders", "payments"):
                    name = f"worker-{domain}-{len(started)}"
                    spawn(
                        started,
                        name,
                        *counted(f"worker-{domain}-{len(started)}", "worker", domain),
                        logs,
                    )
            server = spawn(started, "serve", *counted("serve", *serve_args), logs)
            url = f"http://127.0.0.1:{port}/graphql"
            wait_until_answering(server, url)
            (staff,) = _tokens(keys.private_pem, keys.public_pem, range(1), ("CUSTOMER", "STAFF"))
            for number in range(1, args.rounds + 1):
                variant = _on_sale(url, staff, args.units, number)
                time.sleep(1.0)  # the new variant's events reach every domain
                crowd = range((number - 1) * args.shoppers, number * args.shoppers)
                tokens = _tokens(keys.private_pem, keys.public_pem, crowd)
                before = asyncio.run(_work_done(database, redis.url))
                counted_before = _by_process(counts)
                cpu_before: dict[str, float] = {}
                race_begins = functools.partial(_snapshot_cpu, cpu_before, started, _process_kind)
                with LockWaits(database) as lock_waits:
                    answers = _race(url, tokens, variant, args.arrival_seconds, race_begins)
                cpu_after = cpu_seconds_by_kind(started, _process_kind)
                result = RoundResult(answers=answers)
                result.audit = asyncio.run(_stock(database, variant))
                after = asyncio.run(_work_done(database, redis.url))
                summary = summarise(number, result, args.units)
                # Carts made before the race are in these figures too: a cart and its
                # checkout are what one shopper costs.
                summary["postgres_commits_per_shopper"] = round(
                    (after[0] - before[0]) / args.shoppers, 1
                )
                summary["redis_commands_per_shopper"] = round(
                    (after[1] - before[1]) / args.shoppers, 1
                )
                summary["per_shopper_by_process"] = _per_shopper(
                    counted_before, _by_process(counts), args.shoppers
                )
                summary["lock_waits"] = lock_waits.summary()
                # Until the last answer: the sagas still under way after it are not in it.
                summary["cpu_ms_per_shopper"] = milliseconds_per_unit(
                    cpu_before, cpu_after, args.shoppers
                )
                summaries.append(summary)
                print(json.dumps(summary))
            if levels:
                ordinary = _ordinary_workload(
                    database, started, env, logs, url, staff, keys, crowds, per_level, counts
                )
    finally:
        redis.kill()
    machine["reference_loop_ms_after"] = reference_loop_ms()
    (RESULTS / "flash.json").write_text(
        json.dumps({"flash": summaries, "checkout": ordinary, "machine": machine}, indent=2)
    )
    (RESULTS / "flash.md").write_text(report(summaries, args, ordinary, machine))
    print(report(summaries, args, ordinary, machine))
    return 0 if all(s["exactly_units_ordered"] and s["stock_audit_clean"] for s in summaries) else 1


def _counted(
    counts: Path, env: dict[str, str], name: str, *argv: str
) -> tuple[list[str], dict[str, str]]:
    """The shopgraph command run under bench.counting: every SQL statement and Redis
    round trip of the process, background work included, written per process."""
    return [sys.executable, "-m", "bench.counting", *argv], {
        **env,
        "BENCH_COUNTS_DIR": str(counts),
        "BENCH_COUNTS_NAME": name,
        "BENCH_COUNTS_ALL": "1",
    }


def _by_process(counts: Path) -> dict[str, dict[str, int]]:
    """SQL statements and Redis round trips so far, per process kind: `request` (the
    in-process platform, or the gateway and the subgraph processes over HTTP) and each
    domain's workers (the two orders workers together)."""
    fresh_counts(counts)
    totals: dict[str, Counter[str]] = {}
    for file in counts.glob("*.json"):
        if file.name.count(".") == 1:
            kind = _process_kind(file.name.split(".")[0])
            totals.setdefault(kind, Counter()).update(read_counts(file))
    return {kind: dict(total) for kind, total in totals.items()}


def _process_kind(name: str) -> str:
    """`request` for what answers requests (the in-process platform, the gateway and
    subgraph processes), else the domain whose saga workers the process runs (a started
    process or its counts file, both named `worker-<domain>-<n>`)."""
    if name.startswith("worker-"):
        return name.split("-")[1]
    return "request"


def _snapshot_cpu(
    into: dict[str, float], started: list[Any], kind_of: Callable[[str], str | None]
) -> None:
    into.update(cpu_seconds_by_kind(started, kind_of))


def _snapshot_counts_and_cpu(
    counts_into: dict[str, dict[str, int]],
    cpu_into: dict[str, float],
    counts: Path,
    started: list[Any],
) -> None:
    counts_into.update(_by_process(counts))
    cpu_into.update(cpu_seconds_by_kind(started, _process_kind))


def _per_shopper(
    before: dict[str, dict[str, int]], after: dict[str, dict[str, int]], shoppers: int
) -> dict[str, dict[str, float]]:
    return {
        kind: {
            key: round((value - before.get(kind, {}).get(key, 0)) / shoppers, 1)
            for key, value in sorted(counted.items())
        }
        for kind, counted in sorted(after.items())
    }


async def _database_now(database: str) -> Any:
    connection = await asyncpg.connect(database)
    try:
        return await connection.fetchval("SELECT now()")
    finally:
        await connection.close()


async def _relay_delays(database: str, since: Any) -> dict[str, dict[str, float]]:
    """Per domain, from an event's write to its relay sending it to Redis (the outbox
    row's occurred_at to relayed_at, both Postgres clocks): the hop a commit in one
    process waking the relay in another costs. p50 and p99 in milliseconds."""
    connection = await asyncpg.connect(database)
    try:
        delays = {}
        for domain in DOMAINS:
            # The schema names are the fixed domain names above, not input.
            row = await connection.fetchrow(
                f"SELECT count(*) AS n, "  # noqa: S608
                f"percentile_cont(0.5) WITHIN GROUP (ORDER BY delay) AS p50, "
                f"percentile_cont(0.99) WITHIN GROUP (ORDER BY delay) AS p99 FROM ("
                f"SELECT extract(epoch FROM relayed_at - occurred_at) * 1000 AS delay "
                f"FROM {domain}.outbox WHERE occurred_at >= $1 AND relayed_at IS NOT NULL) d",
                since,
            )
            if row["n"]:
                delays[domain] = {
                    "events": int(row["n"]),
                    "p50": round(float(row["p50"]), 1),
                    "p99": round(float(row["p99"]), 1),
                }
        return delays
    finally:
        await connection.close()


def _ordinary_workload(
    database: str,
    started: list[Any],
    env: dict[str, str],
    logs: Path,
    inprocess_url: str,
    staff: str,
    keys: Any,
    first_customer: int,
    per_level: dict[int, int],
    counts: Path,
) -> list[dict[str, Any]]:
    """Checkouts of plentiful stock at 1, 10 and 50 shoppers at once: through the
    in-process platform, then through a gateway process reaching each domain's subgraph
    process over HTTP (the same database, Redis and saga workers)."""
    from gateway.federation.composition import compose

    variants = [_on_sale(inprocess_url, staff, 1_000_000, 1_000 + n) for n in range(8)]
    time.sleep(1.0)  # the new variants' events reach every domain
    ports = {name: free_port() for name in (*DOMAINS, "gateway")}
    subgraphs = {}
    for name in DOMAINS:
        url = f"http://127.0.0.1:{ports[name]}/graphql"
        child = spawn(
            started,
            f"subgraph-{name}",
            *_counted(
                counts,
                env,
                f"http-{name}",
                *("subgraph", name, "--port", str(ports[name]), "--no-migrate", "--no-workers"),
            ),
            logs,
        )
        wait_until_answering(child, url, "{ _service { sdl } }")
        sdl = httpx.post(url, json={"query": "{ _service { sdl } }"}).json()["data"]["_service"]
        subgraphs[name] = (url, str(sdl["sdl"]))
    supergraph = logs / "supergraph.graphql"
    supergraph.write_text(compose(subgraphs))
    over_http_url = f"http://127.0.0.1:{ports['gateway']}/graphql"
    gateway = spawn(
        started,
        "gateway",
        *_counted(
            counts,
            env,
            "gateway",
            *("gateway", "--supergraph", str(supergraph), "--port", str(ports["gateway"])),
        ),
        logs,
    )
    wait_until_answering(gateway, over_http_url)

    rows = []
    customer = first_customer
    for system, url in (("in-process", inprocess_url), ("over HTTP", over_http_url)):
        for level, checkouts in per_level.items():
            tokens = _tokens(
                keys.private_pem, keys.public_pem, range(customer, customer + checkouts)
            )
            customer += checkouts
            # Taken once the carts are filled: what follows is the checkouts' alone.
            before: dict[str, dict[str, int]] = {}
            cpu_before: dict[str, float] = {}
            checkouts_begin = functools.partial(
                _snapshot_counts_and_cpu, before, cpu_before, counts, started
            )
            since = asyncio.run(_database_now(database))
            row = _checkout_loop(url, tokens, variants, level, checkouts_begin)
            row["cpu_ms_per_checkout"] = milliseconds_per_unit(
                cpu_before, cpu_seconds_by_kind(started, _process_kind), checkouts
            )
            row["relay_delay_ms"] = asyncio.run(_relay_delays(database, since))
            row.update(system=system, shoppers=level)
            row["per_checkout_by_process"] = _per_shopper(before, _by_process(counts), checkouts)
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


DOMAINS = ("users", "products", "carts", "orders", "payments")


def _checkout_loop(
    url: str,
    tokens: list[str],
    variants: list[str],
    concurrency: int,
    on_start: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """The ordinary workload in Node (tools/bench/checkouts.mjs): the carts filled, then
    `on_start` called before the checkouts go."""
    import tempfile

    from tests.support.apollo import default_toolchain

    node, _npm = default_toolchain()
    with (
        tempfile.NamedTemporaryFile("w", suffix=".json") as shoppers,
        tempfile.NamedTemporaryFile("w", suffix=".json") as variant_file,
    ):
        json.dump(tokens, shoppers)
        shoppers.flush()
        json.dump(variants, variant_file)
        variant_file.flush()
        with (
            tempfile.TemporaryFile("w+") as output,
            subprocess.Popen(
                [
                    node,
                    str(ROOT / "tools" / "bench" / "checkouts.mjs"),
                    *("--url", url, "--shoppers-file", shoppers.name),
                    *("--variants-file", variant_file.name, "--concurrency", str(concurrency)),
                ],
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=subprocess.PIPE,
                text=True,
            ) as loop,
        ):
            assert loop.stdin is not None
            assert loop.stderr is not None
            problems = []
            for line in loop.stderr:
                if line.strip() == "filled":
                    on_start()
                    loop.stdin.write("go\n")
                    loop.stdin.flush()
                else:
                    problems.append(line)
            loop.wait()
            if loop.returncode != 0:
                raise RuntimeError(f"checkouts.mjs failed: {''.join(problems)[-2000:]}")
            output.seek(0)
            result = json.loads(output.read())
    latencies = [float(answer["latency"]) for answer in result["answers"]]
    return {
        "checkouts": len(latencies),
        "outcomes": dict(Counter(str(answer["outcome"]) for answer in result["answers"])),
        "decided_per_second": round(len(latencies) / max(float(result["seconds"]), 1e-9), 1),
        "p50_ms": round(_percentile(latencies, 0.50), 1),
        "p95_ms": round(_percentile(latencies, 0.95), 1),
        "p99_ms": round(_percentile(latencies, 0.99), 1),
    }


def report(
    summaries: list[dict[str, Any]],
    args: argparse.Namespace,
    ordinary: list[dict[str, Any]] | None = None,
    machine: dict[str, float] | None = None,
) -> str:
    lines = [
        "# Flash sale",
        "",
        f"{args.shoppers} shoppers, {args.units} units of one variant, arrivals over "
        f"{args.arrival_seconds} s, `shopgraph serve --workers {args.workers}`"
        + (
            " with the background workers in its first process"
            if args.workers_in_serve
            else " and a `shopgraph worker DOMAIN` process per domain, two for orders "
            "(as k8s deploys them)"
        )
        + ", this machine.",
        "",
        *(
            [
                "The machine's speed, for comparing runs: a fixed pure-Python loop (ten "
                f"million additions) took {machine['reference_loop_ms_before']} ms of CPU "
                f"before this run and {machine['reference_loop_ms_after']} ms after it "
                "(lower is faster; on a shared host it varies by a quarter from one minute "
                "to the next, and the CPU figures below with it).",
                "",
            ]
            if machine
            else []
        ),
        "| round | orders | outcomes | let into the saga | decision p50 / p95 / p99 ms | "
        "decided per s | last answer after s | commits / Redis commands per shopper | "
        "stock audit |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in summaries:
        lines.append(
            f"| {s['round']} | {s['orders']} | {s['outcomes']} | "
            f"{s['stock'].get('orders_placed', '-')} | {s['decision_p50_ms']} / "
            f"{s['decision_p95_ms']} / {s['decision_p99_ms']} | {s['decided_per_second']} | "
            f"{s['seconds_until_last_answer']} | {s['postgres_commits_per_shopper']} / "
            f"{s['redis_commands_per_shopper']} | "
            f"{'clean' if s['stock_audit_clean'] else s['stock']} |"
        )
    lines += [
        "",
        "Per shopper, by process (SQL statements / Redis round trips / Redis stream "
        "commands), and the lock waits sampled every 10 ms during the race:",
        "",
        "| round | " + " | ".join(PROCESS_KINDS) + " | samples with a lock wait | most waiting |",
        "| --- | " + " | ".join("---" for _ in PROCESS_KINDS) + " | --- | --- |",
    ]
    for s in summaries:
        by_process = s["per_shopper_by_process"]
        cells = [
            " / ".join(
                str(by_process.get(kind, {}).get(key, 0))
                for key in ("sql", "redis", "redis_streams")
            )
            for kind in PROCESS_KINDS
        ]
        waits = s["lock_waits"]
        lines.append(
            f"| {s['round']} | "
            + " | ".join(cells)
            + f" | {waits['share_with_a_lock_wait']:.1%} of {waits['samples']} "
            f"| {waits['most_sessions_waiting']} |"
        )
    cpu_kinds = (*PROCESS_KINDS, "postgres", "redis", "total")
    lines += _table(
        "CPU milliseconds per shopper's checkout, by process, from the race's start (the "
        "carts filled) to its last answer (`/proc`; Postgres and Redis by server process); "
        "sagas still under way then are partly counted:",
        ("round",),
        cpu_kinds,
        summaries,
        lambda summary, kind: str(summary.get("cpu_ms_per_shopper", {}).get(kind, "-")),
    )
    if ordinary:
        lines += [
            "",
            "## The ordinary checkout workload",
            "",
            "Shoppers at once, each checking out its own carts one after another (plentiful "
            "stock); latency from the request until the checkout is decided. The carts are "
            "filled first, and neither they nor their CPU are counted below. SQL statements "
            "/ Redis round trips per checkout, by process (`request`: the in-process "
            "platform, or over HTTP the gateway and the subgraph processes; then each "
            "domain's saga workers):",
            "",
            "| system | shoppers | checkouts | outcomes | decided per s | p50 / p95 / p99 ms | "
            + " | ".join(PROCESS_KINDS)
            + " |",
            "| --- | --- | --- | --- | --- | --- | "
            + " | ".join("---" for _ in PROCESS_KINDS)
            + " |",
        ]
        for row in ordinary:
            by_process = row["per_checkout_by_process"]
            cells = [
                " / ".join(str(by_process.get(kind, {}).get(key, 0)) for key in ("sql", "redis"))
                for kind in PROCESS_KINDS
            ]
            lines.append(
                f"| {row['system']} | {row['shoppers']} | {row['checkouts']} | "
                f"{row['outcomes']} | {row['decided_per_second']} | {row['p50_ms']} / "
                f"{row['p95_ms']} / {row['p99_ms']} | " + " | ".join(cells) + " |"
            )
        lines += _per_system_table(
            "CPU milliseconds per checkout, by process (`/proc`; Postgres and Redis by "
            "server process): what a checkout costs the machine, steadier from run to run "
            "than the rates above.",
            cpu_kinds,
            ordinary,
            lambda row, kind: str(row.get("cpu_ms_per_checkout", {}).get(kind, "-")),
        )
        lines += _per_system_table(
            "From an event's write to its send being recorded (outbox `occurred_at` to "
            "`relayed_at`), p50 / p99 ms, per producing domain: by the writing process after "
            "its commit and its XADD, or by a relay for what that missed.",
            DOMAINS,
            ordinary,
            lambda row, domain: (
                f"{row['relay_delay_ms'][domain]['p50']} / {row['relay_delay_ms'][domain]['p99']}"
                if domain in row["relay_delay_ms"]
                else "-"
            ),
        )
    return "\n".join(lines) + "\n"


PROCESS_KINDS = ("request", "carts", "orders", "products", "payments", "users")


def _per_system_table(
    intro: str,
    columns: Sequence[str],
    rows: list[dict[str, Any]],
    cell: Callable[[dict[str, Any], str], str],
) -> list[str]:
    """A table of the ordinary workload's rows, one line per system and shoppers."""
    return _table(intro, ("system", "shoppers"), columns, rows, cell)


def _table(
    intro: str,
    labels: Sequence[str],
    columns: Sequence[str],
    rows: list[dict[str, Any]],
    cell: Callable[[dict[str, Any], str], str],
) -> list[str]:
    """A Markdown table after `intro`: each row's `labels` fields, then a cell per column."""
    lines = [
        "",
        intro,
        "",
        "| " + " | ".join((*labels, *columns)) + " |",
        "| " + " | ".join("---" for _ in (*labels, *columns)) + " |",
    ]
    for row in rows:
        lines.append(
            "| "
            + " | ".join((*(str(row[label]) for label in labels), *(cell(row, c) for c in columns)))
            + " |"
        )
    return lines


if __name__ == "__main__":
    sys.exit(main())
