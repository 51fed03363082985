"""A deterministic demo catalog: a category tree, products with variants, stock, images,
reviews and their ratings, and a few live promotions (demo_promotions.py), sized by
SeedOptions (`shopgraph seed --products 10000`).
With `SeedOptions.media_dir`, each image row also gets a picture drawn at its storage key
in the local media store (demo_images.py), which `shopgraph serve` serves at /media.

The same random seed gives the same catalog on every machine. Ids are uuid5s: sellers
are `seed_id("seller", n)` and review authors `seed_id("user", f"customer-{n}")`, the
rows the users seed creates, so the two domains agree without a lookup. Rows are
streamed with COPY into temporary tables and merged with INSERT ... ON CONFLICT DO
NOTHING, so seeding twice changes nothing. Into an empty catalog they are copied
straight into the tables, whose secondary indexes are dropped first and built once at
the end: a million products load in minutes.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.seeding import (
    SeedOptions,
    drop_indexes_and_constraints,
    restore_indexes_and_constraints,
    seed_id,
)
from domains.products import events
from domains.products.demo_images import DemoImage, write_demo_images
from domains.products.demo_promotions import SeedPricing, SeedProduct, promotion_rows

# Products are generated and written in chunks of this many, so memory stays flat and
# the progress bar moves.
CHUNK = 2_000
# Offers per VariantOffersLoaded event: a few hundred kilobytes of JSON at most.
OFFERS_PER_EVENT = 1_000

# Every timestamp is relative to this instant, not to now: the same seed, the same rows.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

# (top level, [(child, [nouns])]); nouns name the products sold there.
_TREE: list[tuple[str, list[tuple[str, list[str]]]]] = [
    ("Clothing", [
        ("Shirts", ["Shirt", "Oxford Shirt", "Flannel Shirt", "Polo"]),
        ("Knitwear", ["Sweater", "Cardigan", "Beanie", "Scarf"]),
        ("Outerwear", ["Jacket", "Parka", "Raincoat", "Vest"]),
        ("Trousers", ["Chinos", "Jeans", "Joggers", "Shorts"]),
    ]),
    ("Footwear", [
        ("Boots", ["Boots", "Chelsea Boots", "Hiking Boots"]),
        ("Sneakers", ["Sneakers", "Trainers", "High-tops"]),
        ("Sandals", ["Sandals", "Slides", "Espadrilles"]),
    ]),
    ("Home", [
        ("Kitchen", ["Mug", "Teapot", "Skillet", "Cutting Board", "Knife"]),
        ("Bedding", ["Duvet Cover", "Pillowcase", "Blanket", "Throw"]),
        ("Lighting", ["Lamp", "Pendant Light", "Candle Holder", "Lantern"]),
        ("Furniture", ["Stool", "Side Table", "Bookshelf", "Bench"]),
    ]),
    ("Outdoors", [
        ("Camping", ["Tent", "Sleeping Bag", "Camp Stove", "Hammock"]),
        ("Cycling", ["Bike Bell", "Saddle Bag", "Bike Light", "Helmet"]),
    ]),
    ("Stationery", [
        ("Notebooks", ["Notebook", "Journal", "Sketchbook", "Planner"]),
        ("Pens", ["Fountain Pen", "Pencil Set", "Ballpoint Pen", "Ink Bottle"]),
    ]),
    ("Accessories", [
        ("Bags", ["Backpack", "Tote Bag", "Weekender", "Wallet"]),
        ("Jewellery", ["Ring", "Necklace", "Bracelet", "Earrings"]),
        ("Watches", ["Watch", "Watch Strap"]),
    ]),
]  # fmt: skip

_ADJECTIVES = [
    "Classic",
    "Everyday",
    "Rugged",
    "Minimal",
    "Vintage",
    "Handmade",
    "Organic",
    "Lightweight",
    "Heavy-duty",
    "Cosy",
    "Slim",
    "Oversized",
    "Waterproof",
    "Recycled",
    "Artisan",
    "Modern",
    "Heritage",
    "Compact",
    "Premium",
    "Essential",
    "Weathered",
    "Bold",
    "Soft",
    "Sturdy",
    "Travel",
    "Field",
    "Urban",
    "Coastal",
    "Alpine",
    "Nordic",
]
_MATERIALS = [
    "Linen",
    "Wool",
    "Cotton",
    "Leather",
    "Canvas",
    "Oak",
    "Walnut",
    "Ceramic",
    "Copper",
    "Brass",
    "Steel",
    "Bamboo",
    "Denim",
    "Merino",
    "Cashmere",
    "Suede",
    "Cork",
    "Stoneware",
    "Hemp",
    "Silk",
    "Titanium",
    "Glass",
    "Birch",
    "Corduroy",
]
_COLOURS = [
    "Black",
    "White",
    "Navy",
    "Olive",
    "Rust",
    "Sand",
    "Charcoal",
    "Forest",
    "Ochre",
    "Slate",
]
_SIZES = ["XS", "S", "M", "L", "XL"]
_PHRASES = [
    "Made in small batches from {material} that softens with every use.",
    "A {adjective} take on the {noun}, built to last for years.",
    "Designed in our workshop and finished by hand.",
    "Pairs well with the rest of the {category} collection.",
    "Ships plastic-free; repairs are free for the first two years.",
    "Every {noun} is checked twice before it leaves us.",
    "Tested in rain, sun and everything between.",
    "The {material} is sourced from a single mill we know by name.",
]
_REVIEW_TITLES = {
    1: ["Disappointed", "Fell apart", "Not as described"],
    2: ["Meh", "Expected more", "Runs small"],
    3: ["Okay for the price", "Decent", "Does the job"],
    4: ["Really nice", "Good quality", "Would buy again"],
    5: ["Love it", "Perfect", "Best purchase this year"],
}
_RATING_WEIGHTS = [3, 5, 12, 35, 45]
_STATUS_WEIGHTS = [("ACTIVE", 92), ("DRAFT", 5), ("ARCHIVED", 3)]
_PRICE_RANGES = {  # minor units, by top-level category
    "Clothing": (1_500, 25_000),
    "Footwear": (3_000, 30_000),
    "Home": (800, 60_000),
    "Outdoors": (1_200, 45_000),
    "Stationery": (300, 9_000),
    "Accessories": (1_000, 80_000),
}


@dataclass(frozen=True)
class _Leaf:
    id: uuid.UUID
    top: str
    name: str
    nouns: list[str]


@dataclass
class _Chunk:
    products: list[tuple[Any, ...]] = field(default_factory=list)
    ratings: list[tuple[Any, ...]] = field(default_factory=list)
    variants: list[tuple[Any, ...]] = field(default_factory=list)
    inventory: list[tuple[Any, ...]] = field(default_factory=list)
    images: list[tuple[Any, ...]] = field(default_factory=list)
    reviews: list[tuple[Any, ...]] = field(default_factory=list)
    pictures: list[DemoImage] = field(default_factory=list)


# (table, columns) in insertion order: parents before children.
_TABLES: list[tuple[str, tuple[str, ...]]] = [
    ("categories", ("id", "parent_id", "name", "slug", "position")),
    ("sellers", ("id", "user_id")),
    (
        "promotions",
        (
            "id", "name", "kind", "value", "currency", "category_ids", "product_ids",
            "seller_id", "starts_at", "ends_at", "created_by", "announced_state",
        ),
    ),
    (
        "products",
        (
            "id", "seller_id", "category_id", "name", "slug", "description", "status",
            "currency", "price_min", "price_max", "in_stock", "created_at", "updated_at",
        ),
    ),
    ("product_ratings", ("product_id", "review_count", "rating_total")),
    (
        "variants",
        (
            "id", "product_id", "sku", "options", "price_amount", "currency",
            "compare_at_amount", "weight_grams", "position", "created_at", "updated_at",
        ),
    ),
    ("inventory", ("variant_id", "on_hand", "reserved")),
    ("product_images", ("id", "product_id", "storage_key", "alt_text", "position", "created_at")),
    (
        "reviews",
        (
            "id", "product_id", "author_id", "rating", "title", "body", "verified_purchase",
            "created_at", "updated_at",
        ),
    ),
]  # fmt: skip
_COLUMNS = dict(_TABLES)
# Whose indexes a bulk load builds after the rows are in (the ledger's too).
_BULK_TABLES = [table for table, _ in _TABLES[3:]] + ["inventory_movements"]


class Progress:
    """A text progress bar on stderr; on a non-terminal, a line per quarter."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self._last_quarter = -1

    def update(self, done: int) -> None:
        fraction = min(done / self.total, 1.0)
        if self.stream.isatty():
            bar = "#" * int(fraction * 30)
            self.stream.write(
                f"\r{self.label}: [{bar:<30}] {fraction:4.0%} {done}/{self.total} "
                f"({time.perf_counter() - self.started:.1f}s)"
            )
            if done >= self.total:
                self.stream.write("\n")
        elif int(fraction * 4) > self._last_quarter:
            self._last_quarter = int(fraction * 4)
            self.stream.write(f"{self.label}: {fraction:.0%} ({done}/{self.total})\n")
        self.stream.flush()


async def seed(
    session: AsyncSession, options: SeedOptions, *, progress: TextIO | None = None
) -> dict[str, int]:
    rng = random.Random(options.random_seed)
    inserted = dict.fromkeys(
        ("categories", "sellers", "promotions", "products", "variants", "images", "reviews"), 0
    )
    if options.media_dir is not None:
        inserted["pictures"] = 0
    leaves, category_rows = _categories()
    inserted["categories"] = len(await _copy(session, "categories", category_rows))
    seller_rows = [
        (seed_id("seller", n), seed_id("user", f"seller-user-{n}")) for n in range(options.sellers)
    ]
    inserted["sellers"] = len(await _copy(session, "sellers", seller_rows))
    if options.sellers == 0:
        return inserted  # products need a seller
    now = datetime.now(UTC)
    inserted["promotions"] = len(await _copy(session, "promotions", promotion_rows(now)))
    pricing = await SeedPricing.load(session, category_rows, now)

    authors = [seed_id("user", f"customer-{n}") for n in range(options.customers)]

    def generate(start: int) -> _Chunk:
        chunk = _Chunk()
        for n in range(start, min(start + CHUNK, options.products)):
            _product(rng, n, options.sellers, leaves, authors, chunk)
        return chunk

    # Into an empty catalog (the bench's million products) rows go straight into the
    # tables and the indexes are built once at the end; otherwise rows merge with what
    # is there. The next chunk is generated in a thread while this one is written, so
    # Python and Postgres work at the same time.
    bulk = (
        await session.execute(text("SELECT NOT EXISTS (SELECT FROM products.products)"))
    ).scalar()
    deferred = await drop_indexes_and_constraints(session, "products", _BULK_TABLES) if bulk else []
    bar = Progress(options.products, "products", progress)
    starts = range(0, options.products, CHUNK)
    upcoming = asyncio.ensure_future(asyncio.to_thread(generate, starts[0])) if starts else None
    for index, start in enumerate(starts):
        assert upcoming is not None
        chunk = await upcoming
        if index + 1 < len(starts):
            upcoming = asyncio.ensure_future(asyncio.to_thread(generate, starts[index + 1]))
        copy = _copy_new if bulk else _copy
        inserted["products"] += len(await copy(session, "products", chunk.products))
        await copy(session, "product_ratings", chunk.ratings)
        new_variants = await copy(session, "variants", chunk.variants)
        inserted["variants"] += len(new_variants)
        stocked = await copy(session, "inventory", chunk.inventory)
        await _record_opening_stock(session, chunk, stocked)
        inserted["images"] += len(await copy(session, "product_images", chunk.images))
        inserted["reviews"] += len(await copy(session, "reviews", chunk.reviews))
        await _announce_offers(session, chunk, set(new_variants), pricing)
        if options.media_dir is not None:
            inserted["pictures"] += write_demo_images(options.media_dir, chunk.pictures)
        bar.update(min(start + CHUNK, options.products))
    await restore_indexes_and_constraints(session, deferred)
    # Fresh statistics, so the planner picks the search indexes from the first query.
    for table, _ in _TABLES:
        await session.execute(text(f"ANALYZE products.{table}"))
    return inserted


def _categories() -> tuple[list[_Leaf], list[tuple[Any, ...]]]:
    leaves: list[_Leaf] = []
    rows: list[tuple[Any, ...]] = []
    for top_position, (top, children) in enumerate(_TREE):
        top_slug = _slug(top)
        top_id = seed_id("category", top_slug)
        rows.append((top_id, None, top, top_slug, top_position))
        for position, (name, nouns) in enumerate(children):
            slug = f"{top_slug}-{_slug(name)}"
            leaf_id = seed_id("category", slug)
            rows.append((leaf_id, top_id, name, slug, position))
            leaves.append(_Leaf(leaf_id, top, name, nouns))
    return leaves, rows


def _product(
    rng: random.Random,
    n: int,
    sellers: int,
    leaves: Sequence[_Leaf],
    authors: Sequence[uuid.UUID],
    chunk: _Chunk,
) -> None:
    product_id = seed_id("product", n)
    leaf = rng.choice(leaves)
    adjective, material, noun = (
        rng.choice(_ADJECTIVES),
        rng.choice(_MATERIALS),
        rng.choice(leaf.nouns),
    )
    name = f"{adjective} {material} {noun}"
    words = {"adjective": adjective.lower(), "material": material.lower(), "noun": noun.lower()}
    description = " ".join(
        phrase.format(category=leaf.name.lower(), **words)
        for phrase in rng.sample(_PHRASES, k=rng.randint(2, 4))
    )
    status = rng.choices(
        [status for status, _ in _STATUS_WEIGHTS], [weight for _, weight in _STATUS_WEIGHTS]
    )[0]
    created_at = EPOCH - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
    low, high = _PRICE_RANGES[leaf.top]
    base_price = rng.randrange(low, high) // 100 * 100 - 1  # 24.99, not 24.37

    prices = []
    in_stock = False
    colour = None  # of the first variant, for the demo pictures
    for position, options in enumerate(_variant_options(rng, leaf)):
        colour = colour or next((o["value"] for o in options if o["name"] == "Colour"), None)
        variant_id = seed_id("variant", f"{n}-{position}")
        price = base_price + (position * 200 if leaf.top in ("Home", "Outdoors") else 0)
        compare_at = (price * 5 // 4) // 100 * 100 + 99 if rng.random() < 0.2 else None
        prices.append(price)
        chunk.variants.append(
            (
                variant_id,
                product_id,
                f"SG-{n:06d}-{position}",
                _json(options),
                price,
                "USD",
                compare_at,
                rng.randrange(50, 5_000),
                position,
                created_at,
                created_at,
            )
        )
        on_hand = 0 if rng.random() < 0.1 else rng.randint(1, 60)
        in_stock = in_stock or on_hand > 0
        chunk.inventory.append((variant_id, on_hand, 0))
    chunk.products.append(
        (
            product_id,
            seed_id("seller", rng.randrange(sellers)),
            leaf.id,
            name,
            f"{_slug(name)}-{n}",
            description,
            status,
            "USD",
            min(prices),
            max(prices),
            in_stock,
            created_at,
            created_at,
        )
    )
    views = rng.randint(1, 3)
    for position in range(views):
        storage_key = f"products/{product_id}/{position}.jpg"
        chunk.images.append(
            (
                seed_id("image", f"{n}-{position}"),
                product_id,
                storage_key,
                f"{name}, view {position + 1}",
                position,
                created_at,
            )
        )
        chunk.pictures.append(
            DemoImage(
                storage_key,
                name,
                f"{leaf.name} · view {position + 1} of {views}",
                colour,
                position,
            )
        )
    total = 0
    reviewers = rng.sample(authors, k=min(len(authors), rng.choice([0, 0, 1, 2, 3, 5, 8])))
    for author_id in reviewers if status != "DRAFT" else []:
        rating = rng.choices([1, 2, 3, 4, 5], _RATING_WEIGHTS)[0]
        total += rating
        written = created_at + timedelta(days=rng.randint(1, 300))
        chunk.reviews.append(
            (
                seed_id("review", f"{n}-{author_id}"),
                product_id,
                author_id,
                rating,
                rng.choice(_REVIEW_TITLES[rating]),
                f"{rng.choice(_REVIEW_TITLES[rating])}. The {noun.lower()} arrived quickly.",
                rng.random() < 0.7,
                written,
                written,
            )
        )
    count = len(reviewers) if status != "DRAFT" else 0
    chunk.ratings.append((product_id, count, total))


def _variant_options(rng: random.Random, leaf: _Leaf) -> Iterator[list[dict[str, str]]]:
    if leaf.top in ("Clothing", "Footwear"):
        colours = rng.sample(_COLOURS, k=rng.randint(1, 2))
        sizes = _SIZES[rng.randint(0, 1) : rng.randint(3, 5)]
        for colour in colours:
            for size in sizes[: rng.randint(1, len(sizes))]:
                yield [{"name": "Colour", "value": colour}, {"name": "Size", "value": size}]
    elif leaf.top in ("Home", "Outdoors"):
        for colour in rng.sample(_COLOURS, k=rng.randint(1, 3)):
            yield [{"name": "Colour", "value": colour}]
    else:
        yield []


def _slug(value: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in value.lower()).split())


def _json(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


async def _record_opening_stock(
    session: AsyncSession, chunk: _Chunk, variant_ids: list[Any]
) -> None:
    """The ledger's first line for each new inventory row: the stock it opened with, as
    a RECEIVED adjustment, so that the movements of a variant always add up to its row.
    From the chunk's own rows, not a lookup in inventory (whose key a bulk load defers)."""
    new = set(variant_ids)
    opened = [(row[0], row[1]) for row in chunk.inventory if row[0] in new and row[1] > 0]
    if not opened:
        return
    await session.execute(
        text(
            "INSERT INTO products.inventory_movements (variant_id, kind, reason, note, "
            "on_hand_delta, reserved_delta, on_hand_after, reserved_after) "
            "SELECT variant_id, 'ADJUSTMENT', 'RECEIVED', 'opening stock', on_hand, 0, "
            "on_hand, 0 FROM unnest(CAST(:ids AS uuid[]), CAST(:on_hand AS integer[])) "
            "AS opened(variant_id, on_hand)"
        ),
        {"ids": [row[0] for row in opened], "on_hand": [row[1] for row in opened]},
    )


async def _announce_offers(
    session: AsyncSession, chunk: _Chunk, new_variants: set[uuid.UUID], pricing: SeedPricing
) -> None:
    """Tell other domains the new variants' prices and stock, as creating each through
    the API would have: carts learns a line's currency and price from these. A variant
    seeded before (a second run) is not announced again."""
    available = {
        variant_id: on_hand - reserved for variant_id, on_hand, reserved in chunk.inventory
    }
    products = {row[0]: SeedProduct(row[0], row[1], row[2]) for row in chunk.products}
    now = datetime.now(UTC)
    book = pricing.book(now)
    offers = []
    for row in chunk.variants:
        if row[0] not in new_variants:
            continue
        product = products[row[1]]
        priced = book.price(row[4], row[5], product)
        offers.append(
            events.LoadedOffer(
                variant_id=row[0],
                price_amount=priced.price,
                currency=row[5],
                available=available[row[0]],
                product_id=product.id,
                seller_id=product.seller_id,
                list_price_amount=priced.list_price,
                promotion_name=None if priced.promotion is None else priced.promotion.name,
                category_ids=pricing.lineage(product.category_id),
            )
        )
    for start in range(0, len(offers), OFFERS_PER_EVENT):
        await events.publish(
            session,
            events.VariantOffersLoaded(
                offers=offers[start : start + OFFERS_PER_EVENT], loaded_at=now
            ),
        )


async def _copy_new(session: AsyncSession, table: str, rows: list[tuple[Any, ...]]) -> list[Any]:
    """COPY rows straight into a table that held none of them; return their keys."""
    if not rows:
        return []
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table, schema_name="products", records=rows, columns=_COLUMNS[table]
    )
    return [row[0] for row in rows]


async def _copy(session: AsyncSession, table: str, rows: list[tuple[Any, ...]]) -> list[Any]:
    """Stream rows into a temporary table with COPY, then merge what is new; return the
    first column (the key) of each row inserted."""
    if not rows:
        return []
    columns = _COLUMNS[table]
    column_list = ", ".join(columns)
    stage = f"seed_{table}"
    await session.execute(
        text(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {column_list} FROM products.{table} WITH NO DATA"
        )
    )
    await session.execute(text(f"TRUNCATE {stage}"))
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(stage, records=rows, columns=columns)  # type: ignore[union-attr]
    result = await session.execute(
        text(
            f"INSERT INTO products.{table} ({column_list}) "  # noqa: S608 - names are ours
            f"SELECT {column_list} FROM {stage} ON CONFLICT DO NOTHING RETURNING {columns[0]}"
        )
    )
    return list(result.scalars().all())
