"""Cold and warm search p50 against catalog size, alone: the catalog points of
`task bench` (bench/run.py `catalog_point`) without the rest of the run.

    python -m bench.search_scaling [--catalog-sizes 10k,100k,1m] [--catalog-database 1m=URL]

For each size it loads a catalog of its own (or uses the one given), starts our gateway
with in-process subgraphs and the SQL floor on it, and times the bench's search workload
with the caches flushed before every request (cold) and then warm. Prints each point and
how much the cold p50 grew from the smallest catalog to the largest.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

import redis

from bench import data
from bench.harness import children, postgres_server_url, private_redis, redis_url
from bench.run import (
    DROP_CACHED,
    PAGE_SIZES,
    Bench,
    Options,
    catalog_point,
    parse_catalog_database,
    parse_sizes,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog-sizes", default="10k,100k,1m")
    parser.add_argument("--catalog-database", action="append", default=[], metavar="SIZE=URL")
    parser.add_argument("--requests", type=int, default=15, help="requests per pass")
    args = parser.parse_args(argv)
    sizes = parse_sizes(args.catalog_sizes)
    options = Options(
        products=sizes[0],
        concurrency=[1],
        rounds=1,
        duration=1.0,
        warmup=0.5,
        catalog_sizes=sizes,
        page_sizes=list(PAGE_SIZES),
        count_requests=args.requests,
        checkouts=0,
        systems=None,
        quick=False,
        workers=os.cpu_count() or 1,
        catalog_databases=dict(parse_catalog_database(item) for item in args.catalog_database),
    )
    logs = Path(tempfile.mkdtemp(prefix="shopgraph-search-scaling-"))
    points = []
    with contextlib.ExitStack() as stack:
        started = stack.enter_context(children())
        bench = Bench(options, logs, started)
        redis_server = stack.enter_context(private_redis(started, logs)) or redis_url()
        flusher = redis.Redis.from_url(redis_server)
        stack.callback(flusher.close)
        drop_cached = flusher.register_script(DROP_CACHED)
        for size in sizes:
            point = catalog_point(bench, postgres_server_url(), redis_server, size, drop_cached)
            points.append(point)
            print(f"  {data.size_label(size)}: {point}", flush=True)
    print("\ncold search p50 (ms), ours in-process / floor:")
    for point in points:
        ours, floor = point["ours_in_process"], point["floor"]
        load = (
            "" if point["load_seconds"] is None else f"  (loaded in {point['load_seconds']:.0f}s)"
        )
        print(
            f"  {data.size_label(point['products']):>5}: {ours['cold_p50_ms']:8.1f} / "
            f"{floor['cold_p50_ms']:8.1f}{load}"
        )
    if len(points) > 1:
        first, last = points[0]["ours_in_process"], points[-1]["ours_in_process"]
        print(
            f"  {data.size_label(points[-1]['products'])} / "
            f"{data.size_label(points[0]['products'])}: "
            f"{last['cold_p50_ms'] / first['cold_p50_ms']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
