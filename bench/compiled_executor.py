"""The compiled executor against graphql-core's, on the storefront listing's products
subgraph document, side by side in one run.

    python -m bench.compiled_executor [--sizes 24,100] [--rounds 10] [--seconds 1]

Takes the document the gateway's planner writes for the products subgraph when it plans
the storefront listing (bench/workloads.py) over the committed supergraph, and executes
it in-process (`LocalSubgraph.execute`, as the platform does) against a fresh database
seeded with the demo catalog, with the entity cache warm, one request at a time. The two
executors take turns, round after round, so that a machine busy with other work weighs
on both alike; per executor and page size it prints the CPU time per request (this
process's, so Redis's and Postgres's own work is not in it) and the requests per second,
as the median over rounds and the best round (the one the rest of the machine disturbed
least), and the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from graphql import parse

from bench.harness import ROOT, bench_database, postgres_server_url, redis_url
from bench.workloads import STOREFRONT_LISTING
from domains.kit.app import LocalSubgraph, Runtime
from domains.kit.auth import JwtKeys
from domains.kit.config import AppEnv, Settings
from domains.kit.resources import open_resources
from domains.kit.seeding import SeedOptions
from gateway.federation.plan import FetchNode, PlanNode
from gateway.federation.planner import QueryPlanner
from gateway.federation.supergraph import Supergraph
from shopgraph.platform import domain_specs
from shopgraph.provisioning import migrate_all, seed_all

EXECUTORS = {"graphql-core": False, "compiled": True}


def products_document() -> str:
    """The products subgraph's part of the storefront listing, as the gateway plans it."""
    supergraph = Supergraph((ROOT / "schema" / "supergraph.graphql").read_text())
    plan = QueryPlanner(supergraph).plan(parse(STOREFRONT_LISTING), "StorefrontListing")
    pending: list[PlanNode] = [plan.node] if plan.node is not None else []
    while pending:
        node = pending.pop()
        if isinstance(node, FetchNode):
            if node.subgraph == "products" and not node.is_entity_fetch:
                return node.document
            continue
        pending.extend(node.nodes)
    raise RuntimeError("the listing's plan has no root fetch from products")


@dataclasses.dataclass(frozen=True)
class Round:
    requests: int
    cpu_seconds: float
    wall_seconds: float


async def _round(subgraph: LocalSubgraph, document: str, first: int, seconds: float) -> Round:
    variables = {"first": first}
    requests = 0
    cpu, wall = time.process_time(), time.perf_counter()
    deadline = wall + seconds
    while time.perf_counter() < deadline:
        response = await subgraph.execute(document, variables, {})
        if "errors" in response:
            raise RuntimeError(f"the listing failed: {response['errors']}")
        requests += 1
    return Round(requests, time.process_time() - cpu, time.perf_counter() - wall)


@contextmanager
def _settings() -> Iterator[Settings]:
    keys = JwtKeys.generate()
    with bench_database(postgres_server_url()) as database_url:
        yield Settings(
            app_env=AppEnv.TEST,
            database_url=database_url,
            redis_url=redis_url(),
            redis_key_prefix=f"sg-bench-{uuid.uuid4().hex[:8]}:",
            jwt_private_key=keys.private_pem,
            jwt_public_key=keys.public_pem,
        )


async def _measure(
    settings: Settings, sizes: list[int], rounds: int, seconds: float
) -> dict[tuple[int, str], list[Round]]:
    await seed_all(settings, SeedOptions(sellers=6, customers=4, products=max(sizes) * 5 // 4))
    spec = domain_specs()["products"]
    if spec.configure is not None:
        spec.configure(settings)
    document = products_document()
    print(f"products subgraph document:\n  {document}\n")
    results: dict[tuple[int, str], list[Round]] = {}
    async with open_resources(settings) as resources:
        subgraphs = {
            name: LocalSubgraph(
                spec,
                Runtime(dataclasses.replace(settings, graphql_compiled=compiled), resources),
            )
            for name, compiled in EXECUTORS.items()
        }
        for first in sizes:
            answers = [
                await subgraph.execute(document, {"first": first}, {})
                for subgraph in subgraphs.values()
            ]
            if answers[0] != answers[1]:
                raise RuntimeError(f"the executors answer the listing of {first} differently")
            for subgraph in subgraphs.values():  # warm both, caches and code alike
                await _round(subgraph, document, first, seconds / 2)
            for _ in range(rounds):
                for name, subgraph in subgraphs.items():
                    found = await _round(subgraph, document, first, seconds)
                    results.setdefault((first, name), []).append(found)
        await resources.redis.delete(
            *[key async for key in resources.redis.scan_iter(f"{settings.redis_key_prefix}*")]
        )
    return results


def _report(results: dict[tuple[int, str], list[Round]], load_before: str) -> None:
    print(f"load average before: {load_before}; after: {_load()}; {os.cpu_count()} CPUs")
    print("one request at a time, in-process, entity cache warm; median (best) of rounds\n")
    print(f"{'products':>8}  {'executor':<13} {'CPU ms/request':>17} {'requests/s':>13}")
    for first in sorted({first for first, _ in results}):
        figures = {}
        for name in EXECUTORS:
            cpu = [r.cpu_seconds / r.requests * 1000 for r in results[(first, name)]]
            rate = [r.requests / r.wall_seconds for r in results[(first, name)]]
            figures[name] = (statistics.median(cpu), min(cpu), statistics.median(rate), max(rate))
            print(
                f"{first:>8}  {name:<13} {figures[name][0]:>8.2f} ({figures[name][1]:>6.2f})"
                f" {figures[name][2]:>5.0f} ({figures[name][3]:>5.0f})"
            )
        core, compiled = figures.values()
        print(
            f"{'':>8}  {'compiled gain':<13} {core[0] / compiled[0]:>7.2f}x "
            f"({core[1] / compiled[1]:>5.2f}x) {compiled[2] / core[2]:>4.2f}x "
            f"({compiled[3] / core[3]:>4.2f}x)"
        )


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="24,100", help="page sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=1.0, help="per round and executor")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    load_before = _load()
    with _settings() as settings:
        migrate_all(settings)
        results = asyncio.run(_measure(settings, sizes, args.rounds, args.seconds))
    _report(results, load_before)


if __name__ == "__main__":
    main()
