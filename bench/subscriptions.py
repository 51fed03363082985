"""Subscriptions under load: 1,000 concurrent `orderStatusChanged` subscriptions over
graphql-ws on one gateway process, while orders change status 50 times a second.

    task bench:subscriptions
    task bench:subscriptions -- --subscriptions 200 --rate 20

Localhost only: `shopgraph serve --workers 1 --no-workers` (the gateway and every
subgraph in one process, which is the process measured) and `shopgraph worker` for orders (its
relay carries the committed changes to Redis Streams) and users (the revocation list), on a fresh
database and a Redis of the bench's own. The bench process places the orders and moves
them AWAITING_PAYMENT -> PAID -> FULFILLED through the orders service (as the saga's
consumers do), one commit at a time at the given rate, and notes the time each commit
returned. Every subscriber notes when its event arrived. It prints the delivery latency
after commit (p50/p95/p99/max, over every subscriber's every event), events lost, and
the gateway process's memory per idle graphql-ws connection (RSS growth over N
acknowledged connections that subscribe to nothing). Results go to
bench/results/subscriptions.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

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
FOLLOW = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { id status total } }"
STEPS = ("AWAITING_PAYMENT", "PAID", "FULFILLED")
TARGET_P99_MS = 250


@dataclass
class Ledger:
    # (order id, status) -> when its commit returned (time.perf_counter)
    committed: dict[tuple[str, str], float] = field(default_factory=dict)
    # (order id, status) -> when each subscriber received it
    received: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    # Anything else a subscriber was sent (errors, an early complete).
    unexpected: list[Any] = field(default_factory=list)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _connect(url: str, payload: dict[str, Any]) -> Any:
    connection = await websockets.connect(
        url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")], open_timeout=60
    )
    await connection.send(json.dumps({"type": "connection_init", "payload": payload}))
    ack = json.loads(await connection.recv())
    assert ack["type"] == "connection_ack", ack
    return connection


async def _follow(url: str, token: str, order_id: str, ledger: Ledger, ready: Any) -> None:
    connection = await _connect(url, {"authorization": f"Bearer {token}"})
    payload = {"query": FOLLOW, "variables": {"id": order_id}}
    await connection.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    ready.release()
    try:
        async for raw in connection:
            message = json.loads(raw)
            data = message.get("payload", {}).get("data") if message["type"] == "next" else None
            if data is None:
                ledger.unexpected.append(message)
                break
            order = data["orderStatusChanged"]
            key = (order["id"], order["status"])
            ledger.received.setdefault(key, []).append(time.perf_counter())
    finally:
        await connection.close()


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def _idle_memory(url: str, pid: int, count: int) -> float:
    """Bytes of the gateway's RSS per acknowledged, idle graphql-ws connection."""
    before = _rss(pid)
    connections = [await _connect(url, {}) for _ in range(count)]
    await asyncio.sleep(1.0)
    after = _rss(pid)
    for connection in connections:
        await connection.close()
    return (after - before) / count


async def _run(args: argparse.Namespace, url: str, gateway_pid: int) -> dict[str, Any]:
    from domains.kit.config import Settings
    from domains.kit.resources import open_resources
    from tests.domains.orders.live_helpers import customer, pay, place_order, reserve_stock, ship
    from tests.domains.orders.live_helpers import seller as new_seller

    idle_bytes = await _idle_memory(url, gateway_pid, args.idle_connections)
    per_order = args.per_order
    orders_count = max(1, args.subscriptions // per_order)
    ledger = Ledger()
    async with open_resources(Settings.from_env()) as resources:
        shop = new_seller(resources)
        placed = []
        followers = []
        for _ in range(orders_count):
            buyer = customer(resources)
            order = await place_order(resources, buyer, [shop], reserve=False)
            placed.append(order)
            followers.append(buyer)
        ready = asyncio.Semaphore(0)
        rss_before = _rss(gateway_pid)
        tasks = [
            asyncio.create_task(
                _follow(url, followers[index].token, str(order.order_id), ledger, ready)
            )
            for index, order in enumerate(placed)
            for _ in range(per_order)
        ]
        for _ in tasks:
            await ready.acquire()
        await asyncio.sleep(2.0)  # every subscription reaches the subgraph's live stream
        rss_subscribed = _rss(gateway_pid)
        interval = 1.0 / args.rate

        async def update(step: str, order: Any) -> None:
            if step == "AWAITING_PAYMENT":
                await reserve_stock(resources, order)
            elif step == "PAID":
                await pay(resources, order.order_id)
            else:
                await ship(resources, order)
            ledger.committed[(str(order.order_id), step)] = time.perf_counter()

        # Each update starts at its due time whether or not the previous one has
        # committed (commits overlap as concurrent requests' would); an order's next
        # step comes a whole pass over the orders later.
        started = time.perf_counter()
        updates: list[asyncio.Task[None]] = []
        for step in STEPS:
            for order in placed:
                due = started + len(updates) * interval
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                updates.append(asyncio.create_task(update(step, order)))
        await asyncio.gather(*updates)
        elapsed = time.perf_counter() - started
        expected = len(ledger.committed) * per_order
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline:
            if sum(len(times) for times in ledger.received.values()) >= expected:
                break
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [
        (arrival - ledger.committed[key]) * 1000
        for key, arrivals in ledger.received.items()
        if key in ledger.committed
        for arrival in arrivals
    ]
    received = len(latencies)
    return {
        "subscriptions": len(tasks),
        "orders": orders_count,
        "updates": len(updates),
        "updates_per_second": round(len(updates) / elapsed, 1),
        "events_expected": expected,
        "events_received": received,
        "events_lost": expected - received,
        "latency_ms": {
            "p50": round(_percentile(latencies, 0.50), 1) if latencies else None,
            "p95": round(_percentile(latencies, 0.95), 1) if latencies else None,
            "p99": round(_percentile(latencies, 0.99), 1) if latencies else None,
            "max": round(max(latencies), 1) if latencies else None,
        },
        "unexpected_messages": len(ledger.unexpected),
        "first_unexpected": ledger.unexpected[0] if ledger.unexpected else None,
        "idle_connection_bytes": round(idle_bytes),
        "idle_connections_measured": args.idle_connections,
        "subscribed_bytes_per_subscription": round((rss_subscribed - rss_before) / len(tasks)),
    }


def _met(result: dict[str, Any]) -> bool:
    p99 = result["latency_ms"]["p99"]
    return result["events_lost"] == 0 and p99 is not None and p99 < TARGET_P99_MS


def report(result: dict[str, Any]) -> str:
    latency = result["latency_ms"]
    return "\n".join(
        [
            "# Subscriptions under load",
            "",
            "`task bench:subscriptions`: one gateway process (`shopgraph serve --workers 1",
            "--no-workers`, every subgraph in-process), the orders and users workers in",
            "processes of their own, graphql-ws clients in the bench process; localhost, a",
            "shared 2-core machine.",
            "",
            "| figure | value |",
            "| --- | --- |",
            f"| concurrent subscriptions | {result['subscriptions']:,} |",
            f"| order updates (commits) | {result['updates']:,} at "
            f"{result['updates_per_second']}/s |",
            f"| events delivered / expected | {result['events_received']:,} / "
            f"{result['events_expected']:,} (lost: {result['events_lost']}) |",
            f"| delivery after commit p50 / p95 / p99 / max | {latency['p50']} / "
            f"{latency['p95']} / {latency['p99']} / {latency['max']} ms |",
            f"| gateway RSS per idle graphql-ws connection | "
            f"{result['idle_connection_bytes'] / 1024:.1f} KiB "
            f"(over {result['idle_connections_measured']:,}) |",
            f"| gateway RSS per live subscription | "
            f"{result['subscribed_bytes_per_subscription'] / 1024:.1f} KiB |",
            "",
            f"Target: p99 under {TARGET_P99_MS} ms after commit, none lost: "
            + ("met." if _met(result) else "**not met**."),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.subscriptions", description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=1_000)
    parser.add_argument("--per-order", type=int, default=2, help="subscribers per order")
    parser.add_argument("--rate", type=float, default=50.0, help="order updates a second")
    parser.add_argument("--idle-connections", type=int, default=500)
    args = parser.parse_args(argv)
    if args.subscriptions < 1 or args.per_order < 1 or args.rate <= 0:
        parser.error("need --subscriptions >= 1, --per-order >= 1 and --rate > 0")
    from domains.kit.auth import JwtKeys
    from tests.support.private_redis import PrivateRedis

    RESULTS.mkdir(parents=True, exist_ok=True)
    logs = RESULTS / "subscriptions-logs"
    logs.mkdir(exist_ok=True)
    keys = JwtKeys.generate()
    assert keys.private_pem is not None
    redis = PrivateRedis()
    redis.start()
    try:
        with bench_database(postgres_server_url()) as database, children() as started:
            port = free_port()
            env = python_env(
                {
                    "DATABASE_URL": database,
                    "REDIS_URL": redis.url,
                    "JWT_PRIVATE_KEY": keys.private_pem,
                    "JWT_PUBLIC_KEY": keys.public_pem,
                    "SHOPGRAPH_DATA_DIR": str(logs / "data"),
                    "RATE_LIMIT_ENABLED": "false",
                    "LOG_FORMAT": "text",
                }
            )
            subprocess.run(
                shopgraph("migrate", "up"), cwd=ROOT, env=env, check=True, capture_output=True
            )
            serve = ["serve", "--no-seed", "--no-workers", "--port", str(port), "--workers", "1"]
            server = spawn(started, "serve", shopgraph(*serve), env, logs)
            # The orders relay carries the changes; users' workers keep the token revocation
            # list every signed-in request is checked against. The other domains' workers
            # stay off: the bench moves the orders itself, as their consumers would.
            for domain in ("users", "orders"):
                spawn(started, f"worker-{domain}", shopgraph("worker", domain), env, logs)
            wait_until_answering(server, f"http://127.0.0.1:{port}/graphql")
            gateway_pid = _serving_pid(server.process.pid)
            os.environ.update(env)
            result = asyncio.run(_run(args, f"ws://127.0.0.1:{port}/graphql", gateway_pid))
    finally:
        redis.kill()
    text = report(result)
    (RESULTS / "subscriptions.md").write_text(text)
    print(json.dumps(result, indent=2))
    print(text)
    return 0 if _met(result) else 1


def _serving_pid(pid: int) -> int:
    """The process that serves: `serve --workers 1` may fork one worker from its parent."""
    children_file = Path(f"/proc/{pid}/task/{pid}/children")
    kids = children_file.read_text().split() if children_file.exists() else []
    return int(kids[0]) if kids else pid


if __name__ == "__main__":
    raise SystemExit(main())
