"""EXPLAIN ANALYZE of product search on a seeded catalog: are the indexes used, and is
the work bounded?

    python bench/explain_search.py [--products 100000] [--server postgresql://...] [--keep]
    python bench/explain_search.py --database-url postgresql://.../name   (a loaded catalog,
                                                    say `task bench:data -- --size 1m --keep`)

Creates a database of its own on the server (default: BENCH_DATABASE_URL, else
127.0.0.1:5432), migrates the products domain, seeds the deterministic catalog, and
EXPLAINs the statements the search service runs. They are built by the search package's
SQL builder (domains/products/search/repository.py: `search_plan`,
`aggregates_statement`), not copied, so this measures what production executes. Prints
each plan, its execution time, whether Postgres read the products table with a
sequential scan, and how many products rows its scans matched and how many more they
read and dropped (a filter, a lossy trigram recheck: in proportion to the matches). A
search in RELEVANCE order and a listing's count and facets have a bound on matched rows
that does not grow with the catalog (SearchLimits: the count limit and the best
matches, divided by the share of text matches the status and price ranges keep, since
those filter the rows as they come); exits 1 if any search scanned sequentially.
The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domains.kit.config import Settings
from domains.kit.db import create_engine, create_session_factory, transaction
from domains.kit.migrations import DomainMigrations
from domains.kit.seeding import SeedOptions, seed_id
from domains.products.config import SearchLimits
from domains.products.search.criteria import ProductSearch, ProductSort
from domains.products.search.repository import (
    aggregates_statement,
    search_plan,
    search_repository,
)
from domains.products.seed import seed
from shopgraph import backends
from shopgraph.registry import domain

SEQ_SCAN_ON_PRODUCTS = re.compile(r"Seq Scan on products\b")
SCAN_OF_PRODUCTS = re.compile(r"Scan (?:using \w+ )?on products\b(?! \w)|Scan on products \w+")
ACTUAL_ROWS = re.compile(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)")
REMOVED = re.compile(r"Rows Removed by (?:Filter|Index Recheck): (\d+)")
PAGE = 21  # first: 20, plus the row that tells whether there is a next page
LIMITS = SearchLimits.from_env()
# A ranked page reads the best matches, then the page's rows by primary key; a count
# with facets reads up to the limit + 1, and the best matches.
RANKED_BOUND = LIMITS.best + PAGE
AGGREGATES_BOUND = LIMITS.count + 1 + LIMITS.best


@dataclass(frozen=True)
class Scenario:
    name: str
    build: Callable[[], Any]
    is_search: bool = True
    bound: int | None = None


def products_rows_read(plan: list[str]) -> tuple[int, int]:
    """Rows the plan's scans of the products table returned, and those they read and
    dropped (removed by a filter, or by the recheck of a lossy trigram match): the
    lines under a scan node, until the next node."""
    returned = removed = 0
    in_scan = False
    for line in plan:
        if "->" in line or line.lstrip().startswith(("Limit", "Sort", "Append", "Hash")):
            in_scan = bool(SCAN_OF_PRODUCTS.search(line)) and "Bitmap Index Scan" not in line
            if in_scan and (rows := ACTUAL_ROWS.search(line)):
                returned += int(rows.group(1)) * int(rows.group(2))
        elif in_scan and (dropped := REMOVED.search(line)):
            removed += int(dropped.group(1))
    return returned, removed


BENCH_SEARCH = ProductSearch(
    text="linen", min_price=2_000, max_price=20_000, currency="USD", in_stock=True
)


def scenarios() -> list[Scenario]:
    clothing = seed_id("category", "clothing")
    return [
        Scenario(
            "search 'linen shirt', RELEVANCE, first page",
            lambda: (
                search_plan(
                    ProductSearch(text="linen shirt"), ProductSort.RELEVANCE, limit=PAGE
                ).statement
            ),
            bound=RANKED_BOUND,
        ),
        Scenario(
            "search with typos 'merino swater', RELEVANCE",
            lambda: (
                search_plan(
                    ProductSearch(text="merino swater"), ProductSort.RELEVANCE, limit=PAGE
                ).statement
            ),
            bound=RANKED_BOUND,
        ),
        Scenario(
            "the bench's search: 'linen', 20.00-200.00 USD, in stock, RELEVANCE",
            lambda: search_plan(BENCH_SEARCH, ProductSort.RELEVANCE, limit=PAGE).statement,
            bound=RANKED_BOUND,
        ),
        Scenario(
            "totalCount + facets of the bench's search",
            lambda: aggregates_statement(BENCH_SEARCH),
            bound=AGGREGATES_BOUND,
        ),
        Scenario(
            "search 'wool' in Clothing (and below), 20.00-150.00 USD, in stock, PRICE_ASC",
            lambda: (
                search_plan(
                    ProductSearch(
                        text="wool",
                        category_id=clothing,
                        min_price=2_000,
                        max_price=15_000,
                        currency="USD",
                        in_stock=True,
                    ),
                    ProductSort.PRICE_ASC,
                    limit=PAGE,
                ).statement
            ),
        ),
        Scenario(
            "search 'linen shirt', RATING, page 2",
            lambda: (
                search_plan(
                    ProductSearch(text="linen shirt"),
                    ProductSort.RATING,
                    limit=PAGE,
                    after=[Decimal("4.00"), 3, uuid.UUID(int=2**127)],
                ).statement
            ),
        ),
        Scenario(
            "totalCount + facets of search 'linen shirt'",
            lambda: aggregates_statement(ProductSearch(text="linen shirt")),
            bound=AGGREGATES_BOUND,
        ),
        Scenario(
            "totalCount + facets of search 'oak' in stock",
            lambda: aggregates_statement(ProductSearch(text="oak", in_stock=True)),
            bound=AGGREGATES_BOUND,
        ),
        Scenario(
            "totalCount + facets of browsing, no search",
            lambda: aggregates_statement(ProductSearch()),
            is_search=False,
            bound=AGGREGATES_BOUND,
        ),
        Scenario(
            "browse: no search, NEWEST, first page",
            lambda: search_plan(ProductSearch(), ProductSort.NEWEST, limit=PAGE).statement,
            is_search=False,
        ),
        Scenario(
            "browse: no search, PRICE_DESC, after a cursor",
            lambda: (
                search_plan(
                    ProductSearch(),
                    ProductSort.PRICE_DESC,
                    limit=PAGE,
                    after=[20_000, uuid.UUID(int=2**127)],
                ).statement
            ),
            is_search=False,
        ),
        Scenario(
            "browse: no search, RATING, first page",
            lambda: search_plan(ProductSearch(), ProductSort.RATING, limit=PAGE).statement,
            is_search=False,
        ),
    ]


async def _seeded(server: str, products: int) -> tuple[str, str, float]:
    """A new database on `server` with the catalog seeded: its name, URL, seconds."""
    name = f"shopgraph_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = backends.with_database(server, name)
    print(f"database {name} on {server.rsplit('@', 1)[-1]}")
    engine = create_engine(Settings(database_url=url, database_pool_min=1, database_pool_max=2))
    try:
        entry = domain("products")
        await asyncio.to_thread(
            DomainMigrations(entry.name, entry.migrations_directory).upgrade, url
        )
        options = SeedOptions(sellers=50, customers=200, products=products)
        started = time.perf_counter()
        async with transaction(create_session_factory(engine)) as session:
            inserted = await seed(session, options)
        seeded_in = time.perf_counter() - started
    except Exception:
        await engine.dispose()
        await _drop(server, name, keep=False)
        raise
    await engine.dispose()
    print(
        f"seeded {inserted['products']} products, {inserted['variants']} variants, "
        f"{inserted['images']} images, {inserted['reviews']} reviews in {seeded_in:.1f}s"
    )
    return name, url, seeded_in


async def explain_all(
    url: str,
) -> tuple[list[tuple[str, str, bool, int, int, int | None]], list[str]]:
    """Each scenario's (name, time, seq scan, products rows read, bound); the failures."""
    engine = create_engine(Settings(database_url=url, database_pool_min=1, database_pool_max=2))
    failures = []
    summary = []
    try:
        async with create_session_factory(engine)() as session:
            for scenario in scenarios():
                plan = await search_repository.explain(session, scenario.build(), analyze=True)
                seq_scan = any(SEQ_SCAN_ON_PRODUCTS.search(line) for line in plan)
                read, dropped = products_rows_read(plan)
                took = next(
                    (line.split(":", 1)[1].strip() for line in plan if "Execution Time" in line),
                    "?",
                )
                print(
                    f"\n=== {scenario.name} ({took}; seq scan on products: {seq_scan}; "
                    f"products rows matched: {read:,}, read and dropped: {dropped:,})"
                )
                print("\n".join(plan))
                summary.append((scenario.name, took, seq_scan, read, dropped, scenario.bound))
                if seq_scan and scenario.is_search:
                    failures.append(f"{scenario.name}: sequential scan of products")
    finally:
        await engine.dispose()
    return summary, failures


async def run(server: str, products: int, keep: bool, database_url: str | None) -> int:
    if database_url is None:
        name, url, seeded_in = await _seeded(server, products)
        label = f"{products} products, seeded in {seeded_in:.1f}s"
    else:
        name, url, label = "", database_url, database_url.rsplit("/", 1)[-1]
    try:
        summary, failures = await explain_all(url)
    finally:
        if name:
            await _drop(server, name, keep=keep)

    print(f"\nsummary ({label}; count limit {LIMITS.count:,}, best {LIMITS.best:,}):")
    print(f"  {'time':>10}  {'products read by':<21} {'matched':>9} {'(bound)':<12}{'dropped':>9}")
    for scenario_name, took, seq_scan, read, dropped, bound in summary:
        verdict = "SEQ SCAN" if seq_scan else "indexes only"
        limit = "(unbounded)" if bound is None else f"(<= {bound:,})"
        print(f"  {took:>10}  {verdict:<21} {read:>9,} {limit:<12}{dropped:>9,}  {scenario_name}")
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print(
        "OK: no search reads the products table sequentially, and each bounded one read "
        "no more than its bound"
    )
    return 0


async def _drop(server: str, name: str, *, keep: bool) -> None:
    if keep:
        print(f"kept database {name}")
        return
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a libpq URL of any database on the server; the bench creates its own",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--database-url", help="EXPLAIN on this loaded catalog instead of seeding a new one"
    )
    args = parser.parse_args()
    return asyncio.run(run(args.server, args.products, args.keep, args.database_url))


if __name__ == "__main__":
    sys.exit(main())
