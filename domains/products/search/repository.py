"""The SQL of product listings: the search statement, its facets, and EXPLAIN of both."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    Select,
    Text,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, UnaryExpression
from sqlalchemy.sql.expression import Executable

from domains.products.config import BEST_MATCHES, COUNT_LIMIT, SearchLimits
from domains.products.models import (
    PRICE_UNKNOWN_LAST_ASC,
    PRICE_UNKNOWN_LAST_DESC,
    SCHEMA,
    SEARCH_CONFIG,
    TRGM,
    Category,
    Product,
    ProductRating,
)
from domains.products.search.criteria import (
    PRICE_BAND_BOUNDS,
    ProductSearch,
    ProductSort,
    SearchAggregates,
)

_SEARCH_CONFIG: ColumnElement[Any] = literal_column("'english'::regconfig")


@dataclass(frozen=True)
class _SortKey:
    """One key of a listing order; never null, so that a cursor is one row comparison."""

    expression: ColumnElement[Any]
    descending: bool

    def order_by(self) -> UnaryExpression[Any]:
        return self.expression.desc() if self.descending else self.expression.asc()


@dataclass(frozen=True)
class _SearchPlan:
    statement: Select[Any]
    keys: list[_SortKey] = field(default_factory=list)


def _tsquery(text: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(_SEARCH_CONFIG, text)


# How many search words are corrected, and how many corrections each may have.
_MAX_CORRECTED_WORDS = 8
_MAX_CORRECTIONS = 5

# The search words as one tsquery in which every word unknown to the vocabulary also
# stands for its nearest vocabulary words: "blue jeens" is blue & (jeens | jeans).
# Words the vocabulary knows stay as they are, so "wool" never widens to "wood". Both the
# search's words (search_words) and the vocabulary's are letters and digits only, so they
# are safe in to_tsquery's syntax; the f-string holds only our own names and numbers.
_CORRECTED_TSQUERY = f"""
SELECT to_tsquery('{SEARCH_CONFIG}'::regconfig, string_agg(alternatives, ' & '))
FROM (
    SELECT '(' || concat_ws(' | ', query.word, string_agg(nearest.term, ' | ')) || ')'
        AS alternatives
    FROM unnest(CAST(:words AS text[])) AS query(word)
    LEFT JOIN LATERAL (
        SELECT term
        FROM {SCHEMA}.search_terms
        WHERE NOT EXISTS (SELECT FROM {SCHEMA}.search_terms known WHERE known.term = query.word)
          AND term OPERATOR({TRGM}.%) query.word
        ORDER BY {TRGM}.similarity(term, query.word) DESC, term
        LIMIT {_MAX_CORRECTIONS}
    ) AS nearest ON true
    GROUP BY query.word
) AS per_word
"""  # noqa: S608


def search_words(text: str) -> list[str]:
    """The words of a search as the vocabulary holds them: lowercase letters and digits."""
    words = [word for word in re.split(r"[^\w]+|_", text.lower()) if 2 <= len(word) <= 64]
    return list(dict.fromkeys(words))[:_MAX_CORRECTED_WORDS]


def _corrected_tsquery(text: str) -> ColumnElement[Any] | None:
    words = search_words(text)
    if not words:
        return None
    clause = sql_text(_CORRECTED_TSQUERY).bindparams(
        bindparam("words", words, type_=ARRAY(Text()), unique=True)
    )
    return clause.columns(column("query", TSQUERY)).scalar_subquery()


def _text_match(text: str) -> ColumnElement[bool]:
    """Full-text match, a name within typo distance (pg_trgm word similarity), or a
    full-text match of the search with its misspelt words corrected from the vocabulary.

    Name similarity catches a typo in a long word ("wterproof"); the vocabulary catches
    short ones, whose few trigrams are too small a part of a whole name ("jeens", "wol").
    Every branch is GIN-indexed (the corrected query is computed once, before the scan),
    so Postgres answers the OR with a BitmapOr of indexes rather than reading the table.
    """
    full_text = Product.search_vector.op("@@", return_type=Boolean)(_tsquery(text))
    similar_name = literal(text).op(f"OPERATOR({TRGM}.<%)", return_type=Boolean)(Product.name)
    corrected = _corrected_tsquery(text)
    if corrected is None:
        return or_(full_text, similar_name)
    corrected_text = Product.search_vector.op("@@", return_type=Boolean)(corrected)
    return or_(full_text, similar_name, corrected_text)


def _relevance(text: str) -> ColumnElement[float]:
    # ts_rank weighs name (A, 1.0) above description (B, 0.4); word similarity to the
    # name ranks typo'd matches, which have no full-text rank at all.
    rank = func.ts_rank(Product.search_vector, _tsquery(text))
    similarity = getattr(func, TRGM).word_similarity(text, Product.name)
    return cast(rank * 2 + similarity, Float(53))


def _price_key(*, ascending: bool) -> ColumnElement[int]:
    """The expression of a price index (see models.Product). The sentinel is a literal: a
    bound parameter would not match the index expression in a generic plan."""
    sentinel = PRICE_UNKNOWN_LAST_ASC if ascending else PRICE_UNKNOWN_LAST_DESC
    return func.coalesce(Product.price_min, literal_column(str(sentinel), BigInteger()))


def _category_subtree(category_id: uuid.UUID) -> Any:
    subtree = select(Category.id).where(Category.id == category_id).cte("subtree", recursive=True)
    return subtree.union_all(select(Category.id).where(Category.parent_id == subtree.c.id))


def _range_conditions(
    criteria: ProductSearch, status: ColumnElement[Any], price_key: ColumnElement[Any]
) -> list[ColumnElement[bool]]:
    """The status and price range conditions, on the given columns."""
    conditions: list[ColumnElement[bool]] = []
    if len(criteria.statuses) == 1:
        conditions.append(status == criteria.statuses[0])
    else:
        conditions.append(status.in_(criteria.statuses))
    # On the PRICE_ASC index expression, so that a price range is an index range there;
    # a product without a price never matches (its sentinel exceeds any maximum).
    if criteria.min_price is not None:
        conditions.append(price_key >= criteria.min_price)
    if criteria.max_price is not None:
        conditions.append(price_key <= criteria.max_price)
    return conditions


def search_conditions(criteria: ProductSearch, *, ranges: bool = True) -> list[ColumnElement[bool]]:
    """The conditions of a listing; without its status and price ranges if not `ranges`."""
    conditions: list[ColumnElement[bool]] = []
    if ranges:
        conditions.extend(
            _range_conditions(criteria, Product.status.expression, _price_key(ascending=True))
        )
    if criteria.text:
        conditions.append(_text_match(criteria.text))
    if criteria.category_id is not None:
        subtree = _category_subtree(criteria.category_id)
        conditions.append(Product.category_id.in_(select(subtree.c.id)))
    if criteria.seller_id is not None:
        conditions.append(Product.seller_id == criteria.seller_id)
    if criteria.currency is not None:
        conditions.append(Product.currency == criteria.currency)
    if criteria.in_stock is not None:
        conditions.append(Product.in_stock.is_(criteria.in_stock))
    return conditions


def _sort_keys(criteria: ProductSearch, sort: ProductSort) -> list[_SortKey]:
    if sort is ProductSort.RELEVANCE and criteria.text:
        return [_SortKey(_relevance(criteria.text), True), _SortKey(Product.id.expression, True)]
    if sort is ProductSort.PRICE_ASC:
        return [_SortKey(_price_key(ascending=True), False), _SortKey(Product.id.expression, False)]
    if sort is ProductSort.PRICE_DESC:
        return [_SortKey(_price_key(ascending=False), True), _SortKey(Product.id.expression, True)]
    if sort is ProductSort.RATING:
        return [
            _SortKey(ProductRating.average.expression, True),
            _SortKey(ProductRating.review_count.expression, True),
            _SortKey(ProductRating.product_id.expression, True),
        ]
    # NEWEST, and RELEVANCE without search text (nothing to be relevant to).
    return [_SortKey(Product.created_at.expression, True), _SortKey(Product.id.expression, True)]


def sort_key_types(criteria: ProductSearch, sort: ProductSort) -> list[type]:
    """The Python types of a listing order's keys, which its cursors hold in order."""
    return [key.expression.type.python_type for key in _sort_keys(criteria, sort)]


def _after(keys: list[_SortKey], cursor: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `cursor`: one row comparison, which Postgres answers as an
    index range, so page N costs what page 1 does. Every order has all its keys in one
    direction (the id breaks ties in the order's own direction) for this to hold."""
    assert len({key.descending for key in keys}) == 1
    row = tuple_(*(key.expression for key in keys))
    bound = tuple_(
        *(literal(value, key.expression.type) for key, value in zip(keys, cursor, strict=True))
    )
    return row < bound if keys[0].descending else row > bound


def _matches(
    criteria: ProductSearch,
    columns: list[Any],
    conditions: list[ColumnElement[bool]],
    name: str,
) -> Any:
    """Every match of a search, its status and price ranges applied to the rows as they
    come: a MATERIALIZED CTE, which Postgres plans for all its rows (with the text
    indexes, not a sequential scan hoping to meet matches early) but runs on demand, so
    a LIMIT over it stops the scan there. The ranges stay out of the CTE: planned for
    every row, they would AND the text matches with a price index range spanning half
    the catalog, work a limited read never needs. `conditions` are
    search_conditions(criteria, ranges=False)."""
    status = Product.status.label("status")
    price_key = _price_key(ascending=True).label("price_key")
    matches = (
        select(*columns, status, price_key).where(*conditions).cte(name).prefix_with("MATERIALIZED")
    )
    names = [column.name for column in columns]
    return select(*(matches.c[column] for column in names)).where(
        *_range_conditions(criteria, matches.c.status, matches.c.price_key)
    )


def _candidates(
    criteria: ProductSearch, best: int, conditions: list[ColumnElement[bool]] | None = None
) -> Any:
    """The first `best` matches of a search, as its GIN indexes yield them, with their
    relevance: a bitmap scan that stops after `best` rows, so ranking reads at most that
    many products however many match. On a catalog where fewer match, that is all of
    them and the order is the exact relevance order."""
    assert criteria.text
    matches = _matches(
        criteria,
        [Product.id.label("id"), _relevance(criteria.text).label("relevance")],
        search_conditions(criteria, ranges=False) if conditions is None else conditions,
        "matches",
    )
    return matches.limit(best).subquery("candidates")


def search_plan(
    criteria: ProductSearch,
    sort: ProductSort,
    *,
    limit: int,
    after: Sequence[Any] | None = None,
    best: int = BEST_MATCHES,
) -> _SearchPlan:
    """The listing statement: products with their sort key values, one page.

    A search in RELEVANCE order ranks only its `best` candidates (`_candidates`), then
    reads the page's products by primary key; every other order is an index range."""
    if sort is ProductSort.RELEVANCE and criteria.text:
        candidates = _candidates(criteria, best)
        keys = [_SortKey(candidates.c.relevance, True), _SortKey(candidates.c.id, True)]
        ranked = select(candidates.c.id, candidates.c.relevance)
        if after is not None:
            ranked = ranked.where(_after(keys, after))
        page = ranked.order_by(*(key.order_by() for key in keys)).limit(limit).subquery("page")
        statement = (
            select(Product, page.c.relevance.label("sort_0"), page.c.id.label("sort_1"))
            .join(page, page.c.id == Product.id)
            .order_by(page.c.relevance.desc(), page.c.id.desc())
        )
        return _SearchPlan(statement, keys)
    keys = _sort_keys(criteria, sort)
    statement = select(Product, *(key.expression.label(f"sort_{i}") for i, key in enumerate(keys)))
    if sort is ProductSort.RATING:
        statement = statement.join(ProductRating, ProductRating.product_id == Product.id)
    statement = statement.where(*search_conditions(criteria))
    if after is not None:
        statement = statement.where(_after(keys, after))
    statement = statement.order_by(*(key.order_by() for key in keys)).limit(limit)
    return _SearchPlan(statement, keys)


def _facet_columns() -> list[Any]:
    return [
        Product.category_id.label("category_id"),
        func.width_bucket(
            Product.price_min, literal(list(PRICE_BAND_BOUNDS), ARRAY(BigInteger()))
        ).label("band"),
        Product.in_stock.label("in_stock"),
    ]


def aggregates_statement(
    criteria: ProductSearch, *, count_limit: int = COUNT_LIMIT, best: int = BEST_MATCHES
) -> Select[Any]:
    """Total and facet counts of a listing, in one statement, each bounded.

    Rows are (facet, value, count): ("total", null, n) counts matches up to
    `count_limit` + 1 (one more than the limit says there are more); the others count
    the `best` matches only (a search's first, a browse's newest): ("category", id, n)
    products in the category or below it; ("price", band index, n); ("stock", true|false,
    n).
    """
    if criteria.text:
        # The count and the facets read the same matches, in the order the indexes
        # yield them: the facets' best are the first of the count's.
        matches = _matches(
            criteria, _facet_columns(), search_conditions(criteria, ranges=False), "matches"
        ).subquery("filtered")
        counted: Select[Any] = select(literal(1).label("one")).select_from(matches)
        best_rows = select(matches.c.category_id, matches.c.band, matches.c.in_stock)
    else:
        conditions = search_conditions(criteria)
        counted = select(literal(1).label("one")).select_from(Product).where(*conditions)
        best_rows = (
            select(*_facet_columns())
            .where(*conditions)
            .order_by(Product.created_at.desc(), Product.id.desc())
        )
    matched = best_rows.limit(best).cte("matched")
    limited = counted.limit(count_limit + 1).subquery("counted")
    total = select(
        literal("total").label("facet"),
        cast(literal(None), Text).label("value"),
        func.count().label("count"),
    ).select_from(limited)
    # Each category with every ancestor it rolls up into (itself included).
    lineage = select(Category.id.label("category_id"), Category.id.label("ancestor_id")).cte(
        "lineage", recursive=True
    )
    parent = aliased(Category)
    lineage = lineage.union_all(
        select(lineage.c.category_id, parent.parent_id)
        .join(parent, parent.id == lineage.c.ancestor_id)
        .where(parent.parent_id.is_not(None))
    )
    by_category = (
        select(
            literal("category").label("facet"),
            cast(lineage.c.ancestor_id, Text).label("value"),
            func.count().label("count"),
        )
        .select_from(matched)
        .join(lineage, lineage.c.category_id == matched.c.category_id)
        .group_by(lineage.c.ancestor_id)
    )
    by_band = (
        select(
            literal("price").label("facet"),
            cast(matched.c.band, Text).label("value"),
            func.count().label("count"),
        )
        .where(matched.c.band.is_not(None))
        .group_by(matched.c.band)
    )
    by_stock = select(
        literal("stock").label("facet"),
        cast(matched.c.in_stock, Text).label("value"),
        func.count().label("count"),
    ).group_by(matched.c.in_stock)
    return union_all(total, by_category, by_band, by_stock)  # type: ignore[return-value]


class _Explain(Executable, ClauseElement):
    """EXPLAIN around a statement, its parameters bound exactly as when it runs."""

    inherit_cache = False

    def __init__(self, statement: Any, *, analyze: bool) -> None:
        self.statement = statement
        self.analyze = analyze


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    options = "ANALYZE, BUFFERS" if element.analyze else "COSTS"
    return f"EXPLAIN ({options}) {compiler.process(element.statement, **kw)}"


class SearchRepository:
    async def explain(
        self, session: AsyncSession, statement: Any, *, analyze: bool = False
    ) -> list[str]:
        """The plan of a search statement (from `search_plan` or `aggregates_statement`)."""
        rows = await session.execute(_Explain(statement, analyze=analyze))
        return [str(row[0]) for row in rows.all()]

    async def page(
        self,
        session: AsyncSession,
        criteria: ProductSearch,
        sort: ProductSort,
        *,
        limit: int,
        after: Sequence[Any] | None,
        limits: SearchLimits,
    ) -> list[tuple[Product, list[Any]]]:
        plan = search_plan(criteria, sort, limit=limit, after=after, best=limits.best)
        result = await session.execute(plan.statement)
        return [(row[0], list(row[1:])) for row in result.all()]

    async def aggregates(
        self, session: AsyncSession, criteria: ProductSearch, limits: SearchLimits
    ) -> SearchAggregates:
        statement = aggregates_statement(criteria, count_limit=limits.count, best=limits.best)
        rows = (await session.execute(statement)).all()
        counted = 0
        by_category: dict[uuid.UUID, int] = {}
        by_band: dict[int, int] = {}
        stock = {True: 0, False: 0}
        for facet, value, count in rows:
            if facet == "total":
                counted = int(count)
            elif facet == "category":
                by_category[uuid.UUID(value)] = int(count)
            elif facet == "price":
                by_band[int(value)] = int(count)
            else:
                stock[value == "true"] = int(count)
        return SearchAggregates(
            total=min(counted, limits.count),
            exact=counted <= limits.count,
            sampled=stock[True] + stock[False],
            in_stock=stock[True],
            by_category=by_category,
            by_price_band=by_band,
        )


search_repository = SearchRepository()
