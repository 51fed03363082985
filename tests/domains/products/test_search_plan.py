"""Every search statement can be answered from indexes.

With sequential scans discouraged (enable_seqscan = off), Postgres still reads a table
sequentially when no index can answer the query; so a "Seq Scan on products" here
means a predicate no index serves (say, someone wraps `name` in lower()). Whether the
planner *chooses* the indexes on a realistic catalog is measured at 100,000 products by
bench/explain_search.py.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from domains.kit.resources import Resources
from domains.products.search.criteria import ProductSearch, ProductSort
from domains.products.search.repository import (
    aggregates_statement,
    search_plan,
    search_repository,
)

SEQ_SCAN_ON_PRODUCTS = re.compile(r"Seq Scan on products\b")
CATEGORY = uuid.UUID(int=1)

STATEMENTS: dict[str, Any] = {
    "text, RELEVANCE": search_plan(
        ProductSearch(text="linen shirt"), ProductSort.RELEVANCE, limit=21
    ),
    "text, RELEVANCE, page 2": search_plan(
        ProductSearch(text="linen shirt"),
        ProductSort.RELEVANCE,
        limit=21,
        after=[1.5, uuid.UUID(int=5)],
    ),
    "text + filters, PRICE_ASC": search_plan(
        ProductSearch(
            text="wool",
            category_id=CATEGORY,
            min_price=100,
            max_price=9_000,
            currency="USD",
            in_stock=True,
        ),
        ProductSort.PRICE_ASC,
        limit=21,
    ),
    "text, RATING": search_plan(ProductSearch(text="oak"), ProductSort.RATING, limit=21),
    "facets of text": aggregates_statement(ProductSearch(text="linen shirt", in_stock=True)),
    "browse NEWEST, page 2": search_plan(
        ProductSearch(),
        ProductSort.NEWEST,
        limit=21,
        after=[datetime(2026, 1, 1, tzinfo=UTC), uuid.UUID(int=5)],
    ),
    "browse PRICE_DESC": search_plan(ProductSearch(), ProductSort.PRICE_DESC, limit=21),
}


@pytest.mark.parametrize("name", list(STATEMENTS))
async def test_the_search_statement_is_index_capable(resources: Resources, name: str) -> None:
    statement = STATEMENTS[name]
    statement = getattr(statement, "statement", statement)

    async with resources.session_factory() as session, session.begin():
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = await search_repository.explain(session, statement)

    assert not any(SEQ_SCAN_ON_PRODUCTS.search(line) for line in plan), "\n".join(plan)
