"""The demo catalog: deterministic, idempotent, consistent, and tied to the users seed."""

from __future__ import annotations

import io

from sqlalchemy import func, select, text

from domains.kit.db import transaction
from domains.kit.resources import Resources
from domains.kit.seeding import SeedOptions, seed_id
from domains.products.models import Product, Review, Seller
from domains.products.seed import seed

OPTIONS = SeedOptions(sellers=4, customers=6, products=120, random_seed=11)


async def _fingerprint(resources: Resources) -> list[tuple[object, ...]]:
    async with resources.session_factory() as session:
        rows = await session.execute(
            select(
                Product.id, Product.name, Product.status, Product.price_min, Product.created_at
            ).order_by(Product.id)
        )
        return [tuple(row) for row in rows.all()]


async def test_seeding_is_deterministic_and_idempotent(resources: Resources) -> None:
    progress = io.StringIO()
    async with transaction(resources.session_factory) as session:
        first = await seed(session, OPTIONS, progress=progress)
    catalog = await _fingerprint(resources)
    async with transaction(resources.session_factory) as session:
        second = await seed(session, OPTIONS, progress=io.StringIO())

    assert first["products"] == 120
    assert first["categories"] > 10
    assert first["variants"] >= 120
    assert all(count == 0 for count in second.values()), second
    assert await _fingerprint(resources) == catalog
    assert "products: 100% (120/120)" in progress.getvalue()

    async with transaction(resources.session_factory) as session:
        await session.execute(text("TRUNCATE products.categories, products.sellers CASCADE"))
        await seed(session, OPTIONS, progress=io.StringIO())
    assert await _fingerprint(resources) == catalog


async def test_the_seeded_catalog_is_consistent(resources: Resources) -> None:
    async with transaction(resources.session_factory) as session:
        await seed(session, OPTIONS, progress=io.StringIO())

    async with resources.session_factory() as session:
        checks = {
            "ratings match reviews": """
                SELECT count(*) FROM products.product_ratings r, LATERAL (
                    SELECT count(*) AS n, coalesce(sum(v.rating), 0) AS total
                    FROM products.reviews v WHERE v.product_id = r.product_id) found
                WHERE (r.review_count, r.rating_total) IS DISTINCT FROM (found.n, found.total)""",
            "price summary matches variants": """
                SELECT count(*) FROM products.products p, LATERAL (
                    SELECT min(price_amount) AS low, max(price_amount) AS high
                    FROM products.variants v WHERE v.product_id = p.id) found
                WHERE (p.price_min, p.price_max) IS DISTINCT FROM (found.low, found.high)""",
            "every variant has stock": """
                SELECT count(*) FROM products.variants v
                LEFT JOIN products.inventory i ON i.variant_id = v.id WHERE i IS NULL""",
            "compare-at above price": """
                SELECT count(*) FROM products.variants
                WHERE compare_at_amount <= price_amount""",
            "drafts have no reviews": """
                SELECT count(*) FROM products.reviews r JOIN products.products p
                ON p.id = r.product_id WHERE p.status = 'DRAFT'""",
        }
        for name, query in checks.items():
            assert await session.scalar(text(query)) == 0, name
        sellers = set((await session.scalars(select(Product.seller_id))).all())
        authors = set((await session.scalars(select(Review.author_id))).all())
        links = (await session.execute(select(Seller.id, Seller.user_id))).all()
        statuses = dict(
            (
                await session.execute(select(Product.status, func.count()).group_by(Product.status))
            ).all()
        )
    # The ids the users seed gives its seller profiles, customers and seller accounts.
    assert sellers <= {seed_id("seller", n) for n in range(OPTIONS.sellers)}
    assert authors <= {seed_id("user", f"customer-{n}") for n in range(OPTIONS.customers)}
    assert set(links) == {
        (seed_id("seller", n), seed_id("user", f"seller-user-{n}")) for n in range(OPTIONS.sellers)
    }
    assert set(statuses) == {"ACTIVE", "DRAFT", "ARCHIVED"}
    assert statuses["ACTIVE"] > 100


async def test_seeded_stock_is_in_the_inventory_ledger(resources: Resources) -> None:
    async with transaction(resources.session_factory) as session:
        await seed(session, OPTIONS, progress=io.StringIO())
        await seed(session, OPTIONS, progress=io.StringIO())  # a second run adds nothing

    async with resources.session_factory() as session:
        disagreeing = (
            await session.execute(
                text(
                    "SELECT i.variant_id FROM products.inventory i "
                    "LEFT JOIN products.inventory_movements m USING (variant_id) "
                    "GROUP BY i.variant_id, i.on_hand, i.reserved "
                    "HAVING coalesce(sum(m.on_hand_delta), 0) <> i.on_hand "
                    "OR coalesce(sum(m.reserved_delta), 0) <> i.reserved"
                )
            )
        ).all()
        stocked = await session.scalar(
            text("SELECT count(*) FROM products.inventory WHERE on_hand > 0")
        )

    assert stocked
    assert disagreeing == []


async def test_a_bulk_seed_puts_back_every_index_and_constraint(resources: Resources) -> None:
    definitions = """
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'products'
        UNION ALL
        SELECT c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'products'
        ORDER BY 1"""
    async with resources.session_factory() as session:
        before = list((await session.execute(text(definitions))).scalars().all())
    async with transaction(resources.session_factory) as session:
        await session.execute(text("TRUNCATE products.categories, products.sellers CASCADE"))
        await seed(session, OPTIONS, progress=io.StringIO())
    async with resources.session_factory() as session:
        after = list((await session.execute(text(definitions))).scalars().all())

    assert any("USING gin" in definition for definition in before)
    assert after == before
