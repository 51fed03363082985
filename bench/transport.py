"""The gateway's HTTP client to subgraphs, alone: httpx against the keep-alive client.

    python -m bench.transport [--seconds 3] [--concurrency 1,10,50] [--http httptools|h11]
                              [--loop auto|uvloop|asyncio]

Starts one subgraph-like server (uvicorn, in its own process: a POST of a GraphQL request
answered with the same JSON body every time, a listing page of 20 products), then drives it
through each of the gateway's two HTTP transports (`HttpTransport` over httpx,
`KeepAliveTransport` over gateway/transport/keepalive.py) with N concurrent callers for
a few seconds per point. Printed per point: requests per second, and the gateway side's
CPU time per request (this process's user+system time over the requests done), which is
what the client costs the gateway. The event loop is uvloop when installed (`--loop
auto`), as under uvicorn. Each point runs in two rounds, the order alternated; the one
with less CPU per request is shown.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.transport.http import HttpTransport, KeepAliveTransport, http_client, keepalive_client
from gateway.transport.types import Transport

DOCUMENT = """query Listing($first: Int!) { products(first: $first) { edges { node {
  id name slug priceRange { start { amount currency } } seller { id } } } } }"""
VARIABLES = {"first": 20}
# What the gateway forwards on a typical request: a token and the trace context.
HEADERS = {
    "authorization": "Bearer " + "x" * 300,
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "x-request-id": "5f0c8a2e-bench",
}


def _answer() -> bytes:
    nodes = [
        {
            "node": {
                "id": f"UHJvZHVjdDo{index:032d}",
                "name": f"Bench product number {index} with a long enough name",
                "slug": f"bench-product-{index}",
                "priceRange": {"start": {"amount": f"{index}.99", "currency": "EUR"}},
                "seller": {"id": f"U2VsbGVyOj{index % 4:032d}"},
                "images": [{"url": f"https://media.example.com/p/{index}/1.jpg", "altText": ""}],
            }
        }
        for index in range(20)
    ]
    return orjson.dumps({"data": {"products": {"edges": nodes}}})


ANSWER = _answer()


async def subgraph(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A subgraph that reads the request and answers the same listing every time."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(ANSWER)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": ANSWER})


@contextlib.contextmanager
def served(http: str) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    command = [sys.executable, "-m", "bench.transport", "--serve", str(port), "--http", http]
    process = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the subgraph server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        process.terminate()
        process.wait(10)


@dataclass
class Point:
    client: str
    concurrency: int
    requests_per_second: float
    cpu_us_per_request: float


async def _run(transport: Transport, concurrency: int, seconds: float) -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    for _ in range(3):  # warm: connections open, code paths hot
        await asyncio.gather(
            *(transport.fetch(DOCUMENT, VARIABLES, HEADERS) for _ in range(concurrency))
        )
    done = 0
    deadline = loop.time() + seconds

    async def caller() -> None:
        nonlocal done
        while loop.time() < deadline:
            await transport.fetch(DOCUMENT, VARIABLES, HEADERS)
            done += 1

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return done / wall, cpu / done * 1e6


async def _point(client: str, url: str, concurrency: int, seconds: float) -> Point:
    if client == "httpx":
        httpx_client = http_client()
        try:
            rate, cpu = await _run(HttpTransport(url, httpx_client), concurrency, seconds)
        finally:
            await httpx_client.aclose()
    else:
        keepalive = keepalive_client()
        try:
            rate, cpu = await _run(KeepAliveTransport(url, keepalive), concurrency, seconds)
        finally:
            await keepalive.aclose()
    return Point(client, concurrency, rate, cpu)


async def _measure(url: str, concurrencies: list[int], seconds: float) -> list[Point]:
    best: dict[tuple[str, int], Point] = {}
    for round_ in range(2):
        clients = ["httpx", "keepalive"] if round_ == 0 else ["keepalive", "httpx"]
        for concurrency in concurrencies:
            for client in clients:
                point = await _point(client, url, concurrency, seconds)
                key = (client, concurrency)
                if key not in best or point.cpu_us_per_request < best[key].cpu_us_per_request:
                    best[key] = point
    return [best[(client, c)] for c in concurrencies for client in ("httpx", "keepalive")]


def _event_loop(name: str) -> tuple[str, Any]:
    if name != "asyncio":
        try:
            import uvloop
        except ImportError:
            if name == "uvloop":
                raise SystemExit("uvloop is not installed") from None
        else:
            return "uvloop", uvloop.new_event_loop
    return "asyncio", asyncio.new_event_loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.transport", description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per point (default 3)")
    parser.add_argument("--concurrency", default="1,10,50", help="callers, comma-separated")
    parser.add_argument("--http", default="httptools", choices=["httptools", "h11"])
    parser.add_argument(
        "--loop", default="auto", choices=["auto", "uvloop", "asyncio"], help="the client's"
    )
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        import uvicorn

        uvicorn.run(
            subgraph,
            host="127.0.0.1",
            port=args.serve,
            http=args.http,
            lifespan="off",
            log_level="warning",
            access_log=False,
        )
        return 0
    concurrencies = [int(part) for part in args.concurrency.split(",")]
    loop_name, new_loop = _event_loop(args.loop)
    with served(args.http) as url, asyncio.Runner(loop_factory=new_loop) as runner:
        points = runner.run(_measure(url, concurrencies, args.seconds))
    print(
        f"One subgraph: uvicorn ({args.http}) in its own process, {len(ANSWER)} byte answers; "
        f"client on {loop_name}, Python {platform.python_version()}, "
        f"{len(os.sched_getaffinity(0))} CPUs; best of 2 rounds of "
        f"{args.seconds:g} s per point."
    )
    print()
    print("| client | callers | req/s | gateway CPU per request |")
    print("| --- | ---: | ---: | ---: |")
    for point in points:
        print(
            f"| {point.client} | {point.concurrency} | {point.requests_per_second:,.0f} "
            f"| {point.cpu_us_per_request:,.0f} µs |"
        )
    print()
    by_key = {(p.client, p.concurrency): p for p in points}
    for concurrency in concurrencies:
        before, after = by_key[("httpx", concurrency)], by_key[("keepalive", concurrency)]
        print(
            f"{concurrency} callers: keepalive uses "
            f"{after.cpu_us_per_request / before.cpu_us_per_request:.0%} of httpx's CPU per "
            f"request, at {after.requests_per_second / before.requests_per_second:.2f}x "
            "its requests/s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
