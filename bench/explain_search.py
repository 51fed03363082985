"""EXPLAIN ANALYZE of product search on a seeded catalog: are the indexes used?

    python bench/explain_search.py [--products 100000] [--server postgresql://...] [--keep]

Creates a database of its own on the server (default: BENCH_DATABASE_URL, else
127.0.0.1:5432), migrates the products domain, seeds the deterministic catalog, and
EXPLAINs the statements the search service runs. They are built by the search package's
SQL builder (domains/products/search/repository.py: `search_plan`,
`aggregates_statement`), not copied, so this measures what production executes. Prints
each plan, its execution time, and whether Postgres read the products table with a
sequential scan; exits 1 if any search did. The database is dropped at the end unless
--keep.
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
PAGE = 21  # first: 20, plus the row that tells whether there is a next page


@dataclass(frozen=True)
class Scenario:
    name: str
    build: Callable[[], Any]
    is_search: bool = True


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
        ),
        Scenario(
            "search with typos 'merino swater', RELEVANCE",
            lambda: (
                search_plan(
                    ProductSearch(text="merino swater"), ProductSort.RELEVANCE, limit=PAGE
                ).statement
            ),
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
        ),
        Scenario(
            "totalCount + facets of search 'oak' in stock",
            lambda: aggregates_statement(ProductSearch(text="oak", in_stock=True)),
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


async def run(server: str, products: int, keep: bool) -> int:
    name = f"shopgraph_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = backends.with_database(server, name)
    print(f"database {name} on {server.rsplit('@', 1)[-1]}")
    engine = create_engine(Settings(database_url=url, database_pool_min=1, database_pool_max=2))
    try:
        entry = domain("products")
        await asyncio.to_thread(
            DomainMigrations(entry.name, entry.migrations_directory).upgrade, url
        )
        factory = create_session_factory(engine)
        options = SeedOptions(sellers=50, customers=200, products=products)
        started = time.perf_counter()
        async with transaction(factory) as session:
            inserted = await seed(session, options)
        seeded_in = time.perf_counter() - started
        print(
            f"seeded {inserted['products']} products, {inserted['variants']} variants, "
            f"{inserted['images']} images, {inserted['reviews']} reviews in {seeded_in:.1f}s"
        )
    except Exception:
        await engine.dispose()
        await _drop(admin, name, keep=False)
        raise

    failures = []
    summary = []
    try:
        async with factory() as session:
            for scenario in scenarios():
                plan = await search_repository.explain(session, scenario.build(), analyze=True)
                seq_scan = any(SEQ_SCAN_ON_PRODUCTS.search(line) for line in plan)
                took = next(
                    (line.split(":", 1)[1].strip() for line in plan if "Execution Time" in line),
                    "?",
                )
                print(f"\n=== {scenario.name} ({took}; seq scan on products: {seq_scan})")
                print("\n".join(plan))
                summary.append((scenario.name, took, seq_scan))
                if seq_scan and scenario.is_search:
                    failures.append(scenario.name)
    finally:
        await engine.dispose()
        await _drop(admin, name, keep=keep)

    print(f"\nsummary ({products} products, seeded in {seeded_in:.1f}s):")
    for scenario_name, took, seq_scan in summary:
        verdict = "SEQ SCAN on products" if seq_scan else "indexes only"
        print(f"  {took:>10}  {verdict:<21}  {scenario_name}")
    if failures:
        print(f"FAIL: sequential scan of products in: {'; '.join(failures)}")
        return 1
    print("OK: no search reads the products table sequentially")
    return 0


async def _drop(admin: asyncpg.Connection, name: str, *, keep: bool) -> None:
    if keep:
        print(f"kept database {name}")
    else:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
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
    args = parser.parse_args()
    return asyncio.run(run(args.server, args.products, args.keep))


if __name__ == "__main__":
    sys.exit(main())
