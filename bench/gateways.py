"""The storefront query through our gateway and through Apollo Gateway, in one run.

    ./task bench:gateways            (or: .venv/bin/python -m bench.gateways --help)

One seeded database and one set of subgraph processes (`shopgraph subgraph users`,
`shopgraph subgraph products`) serve every gateway measured:

- ours, in-process: `shopgraph serve` (its own in-process subgraphs, same database);
- ours over HTTP:   `shopgraph serve --subgraph-urls ...` in front of the subgraph processes;
- Apollo Gateway:   @apollo/gateway (npm, tools/apollo-gateway) in front of the same.

Every gateway's answer is checked equal before timing. Load comes from autocannon at a
fixed number of connections after a warm-up; the figures printed are requests/s,
p50/p99 latency, and CPU seconds per request of each process involved.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import (
    ROOT,
    Child,
    LoadResult,
    autocannon,
    bench_database,
    children,
    free_port,
    postgres_server_url,
    python_env,
    redis_url,
    shopgraph,
    spawn,
    wait_until_answering,
)

STOREFRONT = """
query Storefront {
  products(first: 24, sort: NEWEST) {
    totalCount
    edges {
      node {
        id
        name
        slug
        seller { shopName }
        images { url altText }
        rating { average count }
        variants {
          sku
          price { amount currency }
          inventory { quantityAvailable inStock }
        }
        reviews(first: 3) {
          edges { node { rating title author { name } } }
        }
      }
    }
  }
}
"""


@dataclass
class System:
    name: str
    url: str
    processes: list[Child]


def _run(argv: list[str], env: dict[str, str]) -> None:
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def _apollo_gateway(started: list[Child], supergraph: Path, port: int, logs: Path) -> Child:
    sys.path.insert(0, str(ROOT))
    from tests.support.apollo import default_toolchain
    from tests.support.apollo_gateway import GATEWAY_SCRIPT, ensure_apollo_gateway_tools

    node, _npm = default_toolchain(20)
    ensure_apollo_gateway_tools()
    return spawn(
        started,
        "apollo-gateway",
        [node, str(GATEWAY_SCRIPT), "--port", str(port), "--supergraph", str(supergraph)],
        python_env({}),
        logs,
    )


def _answer(url: str) -> object:
    response = httpx.post(url, json={"query": STOREFRONT}, timeout=30)
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{url} answered {response.status_code}: {json.dumps(body)[:500]}")
    return body["data"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before measuring")
    parser.add_argument("--connections", type=int, default=10)
    args = parser.parse_args(argv)

    logs = Path(tempfile.mkdtemp(prefix="shopgraph-bench-"))
    with bench_database(postgres_server_url()) as database_url, children() as started:
        env = python_env(
            {
                "APP_ENV": "development",
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url(),
                "REDIS_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:",
                "SHOPGRAPH_DATA_DIR": str(logs / "data"),
                "DATABASE_POOL_MAX": "20",
                # One client from one address makes all the load: the edge's rate limit
                # would be what is measured.
                "RATE_LIMIT_ENABLED": "off",
            }
        )
        print(f"seeding {args.products} products (logs in {logs}) ...", flush=True)
        _run(shopgraph("migrate", "up"), env)
        _run(
            shopgraph(
                "seed", "--products", str(args.products), "--sellers", "50", "--customers", "200"
            ),
            env,
        )

        ports = {name: free_port() for name in ("users", "products", "inprocess", "http", "apollo")}
        subgraph_urls = {
            name: f"http://127.0.0.1:{ports[name]}/graphql" for name in ("users", "products")
        }
        users = spawn(
            started,
            "users",
            shopgraph("subgraph", "users", "--port", str(ports["users"])),
            env,
            logs,
        )
        products = spawn(
            started,
            "products",
            shopgraph("subgraph", "products", "--port", str(ports["products"])),
            env,
            logs,
        )
        for child, url in ((users, subgraph_urls["users"]), (products, subgraph_urls["products"])):
            wait_until_answering(child, url)

        inprocess = spawn(
            started,
            "ours-in-process",
            shopgraph("serve", "--no-seed", "--port", str(ports["inprocess"])),
            env,
            logs,
        )
        remote_urls = ",".join(f"{name}={url}" for name, url in subgraph_urls.items())
        over_http = spawn(
            started,
            "ours-http",
            shopgraph("serve", "--subgraph-urls", remote_urls, "--port", str(ports["http"])),
            env,
            logs,
        )

        from gateway.federation.composition import compose

        sdls = {
            name: (
                url,
                httpx.post(url, json={"query": "{ _service { sdl } }"}).json()["data"]["_service"][
                    "sdl"
                ],
            )
            for name, url in subgraph_urls.items()
        }
        supergraph = logs / "supergraph.graphql"
        supergraph.write_text(compose(sdls))
        apollo = _apollo_gateway(started, supergraph, ports["apollo"], logs)

        systems = [
            System(
                "ours, in-process", f"http://127.0.0.1:{ports['inprocess']}/graphql", [inprocess]
            ),
            System(
                "ours, over HTTP",
                f"http://127.0.0.1:{ports['http']}/graphql",
                [over_http, users, products],
            ),
            System(
                "Apollo Gateway",
                f"http://127.0.0.1:{ports['apollo']}/graphql",
                [apollo, users, products],
            ),
        ]
        for system in systems:
            wait_until_answering(system.processes[0], system.url)
        reference = _answer(systems[0].url)
        for system in systems[1:]:
            if _answer(system.url) != reference:
                raise RuntimeError(f"{system.name} answers differently from {systems[0].name}")
        print("all gateways give the same answer; measuring ...", flush=True)

        body = {"query": STOREFRONT}
        rows: list[tuple[System, LoadResult, list[float]]] = []
        for system in systems:
            autocannon(system.url, body, duration=args.warmup, connections=args.connections)
            before = [child.cpu_seconds() for child in system.processes]
            result = autocannon(
                system.url, body, duration=args.duration, connections=args.connections
            )
            after = [child.cpu_seconds() for child in system.processes]
            per_request = [
                (a - b) / max(result.requests, 1) * 1000 for a, b in zip(after, before, strict=True)
            ]
            rows.append((system, result, per_request))

    print()
    print(
        f"storefront query, {args.products} products, "
        f"{args.connections} connections, {args.duration}s"
    )
    print(f"{'system':<20}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}   CPU ms per request")
    for system, result, per_request in rows:
        cpu = ", ".join(
            f"{child.name} {ms:.2f}"
            for child, ms in zip(system.processes, per_request, strict=True)
        )
        errors = result.errors + result.non_2xx
        figures = f"{result.requests_per_second:>9.1f}{result.p50_ms:>9.1f}{result.p99_ms:>9.1f}"
        print(f"{system.name:<20}{figures}{errors:>8}   {cpu}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
