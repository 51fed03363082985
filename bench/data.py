"""The bench's data set: deterministic, large, in a database of its own.

    python -m bench.data --size 100k [--database-url postgresql://.../name]

Migrates every domain and loads the platform's own deterministic seed at bench scale:
1,000 sellers (accounts with shops), 2,000 customers who write the reviews, and 10,000,
100,000 (the default) or 1,000,000 products with their variants, stock, images, reviews
and ratings. The products are streamed with COPY (asyncpg `copy_records_to_table`) in
chunks of 2,000 behind a progress bar (domains/products/seed.py); the same random seed
gives the same rows on every machine, so every run measures the same catalog. Into the
new, empty database the rows go straight into their tables, the next chunk generated
while this one is written, and the keys, indexes and foreign keys are built once at
the end.

Generating the rows in Python is most of the cost: about 8 CPU-minutes for 1M (22
minutes of wall time measured on a shared 2-core machine under a load of 4-6).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass

import asyncpg

from bench.harness import ROOT, shopgraph

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
SELLERS = 1_000
CUSTOMERS = 2_000
RANDOM_SEED = 42


def parse_size(text: str) -> int:
    """'10k', '100k', '1m' or a plain number of products."""
    key = text.strip().lower()
    if key in SIZES:
        return SIZES[key]
    try:
        value = int(key.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must be one of {', '.join(SIZES)} or a number, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"size must be at least 1, got {text!r}")
    return value


def size_label(products: int) -> str:
    for label, value in SIZES.items():
        if value == products:
            return label
    return f"{products:,}"


@dataclass(frozen=True)
class Loaded:
    products: int
    seconds: float  # migrated, seeded and vacuumed
    vacuum_seconds: float = 0.0


async def _vacuum(database_url: str) -> None:
    """VACUUM (ANALYZE) the whole database, as Postgres's documentation advises after a
    bulk load: the visibility map is set (index-only scans become possible) and the
    statistics are fresh, so no autovacuum of millions of new rows runs while the
    catalog is measured, and the catalog is measured as it is served once settled."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()


def load(database_url: str, products: int, env: dict[str, str]) -> Loaded:
    """Migrate and seed the database at `database_url` (already created, empty)."""
    env = {**env, "DATABASE_URL": database_url}
    started = time.perf_counter()
    subprocess.run(shopgraph("migrate", "up"), cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        shopgraph(
            "seed",
            "--products",
            str(products),
            "--sellers",
            str(SELLERS),
            "--customers",
            str(CUSTOMERS),
            "--random-seed",
            str(RANDOM_SEED),
            # Pictures are a demo nicety: a few hundred thousand files would only slow
            # the load and fill the disk; the bench measures the rows.
            "--no-images",
        ),
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,  # per-domain counts; the progress bar is on stderr
    )
    vacuum_started = time.perf_counter()
    asyncio.run(_vacuum(database_url))
    finished = time.perf_counter()
    return Loaded(products, finished - started, finished - vacuum_started)


async def _counts(database_url: str) -> dict[str, int]:
    connection = await asyncpg.connect(database_url)
    try:
        return {
            table: int(await connection.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in (
                "users.seller_profiles",
                "users.users",
                "products.products",
                "products.variants",
                "products.inventory",
                "products.product_images",
                "products.reviews",
            )
        }
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    from bench.harness import bench_database, postgres_server_url, python_env, redis_url

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=parse_size, default=SIZES["100k"], help="10k, 100k, 1m")
    parser.add_argument(
        "--database-url",
        help="an existing empty database to fill (default: a new one, dropped at the end "
        "unless --keep)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database it created")
    args = parser.parse_args(argv)
    env = python_env({"APP_ENV": "development", "REDIS_URL": redis_url()})

    def run(url: str) -> None:
        loaded = load(url, args.size, env)
        print(
            f"loaded {loaded.products:,} products in {loaded.seconds:.1f}s "
            f"(vacuum {loaded.vacuum_seconds:.1f}s)"
        )
        for table, count in asyncio.run(_counts(url)).items():
            print(f"  {table:<26}{count:>12,}")

    if args.database_url:
        run(args.database_url)
        return 0
    with bench_database(postgres_server_url(), keep=args.keep) as url:
        run(url)
        if args.keep:
            print(f"kept {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
