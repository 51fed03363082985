"""The floor: each workload's answer from one hand-written SQL statement, no GraphQL.

    python -m bench.floor --database-url postgresql://... [--port 4100]

A bare Starlette app on one POST /graphql route. It reads the body's operationName,
runs that workload's single statement (Postgres builds the whole JSON answer with
json_build_object and json_agg), and sends it back wrapped in {"data": ...}. No parsing
of the query, no validation, no planning, no per-field resolution, no cache: what is
left is HTTP, one round trip to Postgres and the SQL itself, the least any server can
do to give the same answer. The bench checks that its answers equal the gateways'.

Statements read the domains' tables directly (schemas products, users, carts): the
floor is a measuring stick, not a way to serve the platform.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domains.kit.config import Settings

# What the product's own Rating type answers: null average and zero count without reviews.
_RATING = """
coalesce(
  (SELECT json_build_object('average', r.average, 'count', r.review_count)
     FROM products.product_ratings r WHERE r.product_id = {p}.id AND r.review_count > 0),
  json_build_object('average', NULL, 'count', 0))
"""
_IMAGES = """
(SELECT coalesce(json_agg(json_build_object('url', $MEDIA || '/' || i.storage_key,
                                            'altText', i.alt_text)
                          ORDER BY i.position, i.created_at), '[]'::json)
   FROM products.product_images i WHERE i.product_id = {p}.id)
"""
# Live promotions, each with every category at or below the ones it names: the CTEs a
# statement that prices anything starts with. Promotions do not stack: a unit sells at
# the lowest of its list price and each live promotion reaching its product.
_LIVE_PROMOTIONS = """
named(root) AS (SELECT DISTINCT unnest(category_ids) FROM products.promotions),
below(root, id) AS (
  SELECT root, root FROM named
  UNION ALL
  SELECT b.root, c.id FROM below b JOIN products.categories c ON c.parent_id = b.id
),
live AS (
  SELECT pr.kind, pr.value, pr.currency, pr.seller_id, pr.product_ids, pr.category_ids,
         ARRAY(SELECT b.id FROM below b WHERE b.root = ANY(pr.category_ids)) AS covered
    FROM products.promotions pr
   WHERE pr.starts_at <= now() AND (pr.ends_at IS NULL OR now() < pr.ends_at)
     AND (pr.ended_at IS NULL OR now() < pr.ended_at)
)"""
# One unit of `{price}` (the list price) of product `{p}` in `{currency}` as it sells now;
# a percentage's discount rounded half up, never below 0.
_PROMOTED = """
CASE WHEN {price} IS NULL THEN NULL ELSE (
  SELECT least({price}, coalesce(min(CASE WHEN lp.kind = 'PERCENTAGE'
           THEN greatest({price} - (2 * {price} * lp.value + 10000) / 20000, 0)
           ELSE greatest({price} - lp.value, 0) END), {price}))
    FROM live lp
   WHERE (lp.seller_id IS NULL OR lp.seller_id = {p}.seller_id)
     AND (lp.kind = 'PERCENTAGE' OR lp.currency = {currency})
     AND ((cardinality(lp.category_ids) = 0 AND cardinality(lp.product_ids) = 0)
          OR {p}.id = ANY(lp.product_ids) OR {p}.category_id = ANY(lp.covered))) END
"""
_VARIANT_PRICE = _PROMOTED.format(price="v.price_amount", p="p", currency="v.currency")
_PRICE_START = (
    """
CASE WHEN {p}.price_min IS NULL THEN NULL ELSE
  json_build_object('start', json_build_object(
    'amount', """
    + _PROMOTED.format(price="{p}.price_min", p="{p}", currency="{p}.currency")
    + """,
    'currency', {p}.currency)) END
"""
)

LISTING = f"""
WITH RECURSIVE {_LIVE_PROMOTIONS},
page AS (
  SELECT * FROM products.products p
   WHERE p.status = 'ACTIVE'
   ORDER BY p.created_at DESC, p.id DESC
   LIMIT $1
)
SELECT json_build_object('products', json_build_object('edges', coalesce(json_agg(
  json_build_object('node', json_build_object(
    'id', page.id,
    'name', page.name,
    'slug', page.slug,
    'inStock', page.in_stock,
    'priceRange', {_PRICE_START.format(p="page")},
    'images', {_IMAGES.format(p="page")},
    'rating', {_RATING.format(p="page")},
    'seller', (SELECT json_build_object('shopName', s.shop_name)
                 FROM users.seller_profiles s WHERE s.id = page.seller_id)))
  ORDER BY page.created_at DESC, page.id DESC), '[]'::json)))::text
FROM page
"""  # noqa: S608 - built from this module's fragments, no input

PRODUCT = f"""
WITH RECURSIVE {_LIVE_PROMOTIONS}
SELECT json_build_object('product', (
  SELECT json_build_object(
    'id', p.id,
    'name', p.name,
    'description', p.description,
    'category', (SELECT json_build_object('name', c.name, 'slug', c.slug)
                   FROM products.categories c WHERE c.id = p.category_id),
    'seller', (SELECT json_build_object('shopName', s.shop_name, 'slug', s.slug)
                 FROM users.seller_profiles s WHERE s.id = p.seller_id),
    'images', {_IMAGES.format(p="p")},
    'variants', (
      SELECT coalesce(json_agg(json_build_object(
               'id', v.id,
               'sku', v.sku,
               'options', v.options,
               'price', json_build_object(
                 'amount', {_VARIANT_PRICE},
                 'currency', v.currency),
               'inventory', json_build_object(
                 'quantityAvailable', greatest(coalesce(inv.on_hand - inv.reserved, 0), 0),
                 'inStock', coalesce(inv.on_hand - inv.reserved, 0) > 0))
             ORDER BY v.position, v.created_at, v.id), '[]'::json)
        FROM products.variants v
        LEFT JOIN products.inventory inv ON inv.variant_id = v.id
       WHERE v.product_id = p.id),
    'rating', {_RATING.format(p="p")},
    'reviews', json_build_object(
      'totalCount', coalesce((SELECT r.review_count FROM products.product_ratings r
                               WHERE r.product_id = p.id), 0),
      'edges', (
        SELECT coalesce(json_agg(json_build_object('node', json_build_object(
                 'rating', page.rating, 'title', page.title, 'body', page.body,
                 'author', (SELECT json_build_object('name', u.name)
                              FROM users.users u WHERE u.id = page.author_id)))
               ORDER BY page.created_at DESC, page.id DESC), '[]'::json)
          FROM (SELECT * FROM products.reviews rv WHERE rv.product_id = p.id
                 ORDER BY rv.created_at DESC, rv.id DESC LIMIT 10) page)))
  FROM products.products p
  WHERE p.slug = $1 AND p.status = 'ACTIVE'))::text
"""  # noqa: S608 - built from this module's fragments, no input

# The product's own search: full text or a name within typo distance (pg_trgm lives in
# the products schema), ranked by ts_rank * 2 + word similarity, id breaking ties.
SEARCH = f"""
WITH RECURSIVE {_LIVE_PROMOTIONS},
q AS (SELECT websearch_to_tsquery('english'::regconfig, $1::text) AS query),
matched AS (
  SELECT p.id, p.name, p.slug, p.price_min, p.currency, p.category_id, p.in_stock,
         p.seller_id,
         CAST(ts_rank(p.search_vector, q.query) * 2
              + products.word_similarity($1, p.name) AS float8) AS relevance
    FROM products.products p, q
   WHERE p.status = 'ACTIVE'
     AND (p.search_vector @@ q.query OR $1 OPERATOR(products.<%) p.name)
     AND p.currency = $4
     AND coalesce(p.price_min, 9223372036854775807) >= $2
     AND coalesce(p.price_min, 9223372036854775807) <= $3
     AND p.in_stock = $5
),
page AS (SELECT * FROM matched ORDER BY relevance DESC, id DESC LIMIT 20),
lineage(category_id, ancestor_id) AS (
  SELECT id, id FROM products.categories
  UNION ALL
  SELECT l.category_id, c.parent_id FROM lineage l
    JOIN products.categories c ON c.id = l.ancestor_id WHERE c.parent_id IS NOT NULL
),
by_category AS (
  SELECT c.slug, c.name, count(*) AS n FROM matched m
    JOIN lineage l ON l.category_id = m.category_id
    JOIN products.categories c ON c.id = l.ancestor_id
   GROUP BY c.id, c.slug, c.name
)
SELECT json_build_object('products', json_build_object(
  'totalCount', (SELECT count(*) FROM matched),
  'edges', (SELECT coalesce(json_agg(json_build_object('node', json_build_object(
              'id', page.id, 'name', page.name, 'slug', page.slug,
              'priceRange', {_PRICE_START.format(p="page")},
              'rating', coalesce(
                (SELECT json_build_object('average', r.average, 'count', r.review_count)
                   FROM products.product_ratings r
                  WHERE r.product_id = page.id AND r.review_count > 0),
                json_build_object('average', NULL, 'count', 0))))
            ORDER BY page.relevance DESC, page.id DESC), '[]'::json) FROM page),
  'facets', json_build_object(
    'categories', (SELECT coalesce(json_agg(json_build_object(
                     'category', json_build_object('slug', b.slug), 'count', b.n)
                   ORDER BY b.n DESC, b.name), '[]'::json) FROM by_category b),
    'inStock', (SELECT count(*) FROM matched WHERE in_stock),
    'outOfStock', (SELECT count(*) FROM matched WHERE NOT in_stock))))::text
"""  # noqa: S608 - built from this module's fragments, no input

# A guest cart with one line, as cartCreate makes it; the cart's currency is what the
# carts domain knows of the variant (its variant_offers), the rest read from products.
CART_ADD = f"""
WITH RECURSIVE {_LIVE_PROMOTIONS},
cart AS (
  INSERT INTO carts.carts (id, customer_id, status, currency)
  SELECT $1, NULL, 'OPEN', (SELECT o.currency FROM carts.variant_offers o
                              WHERE o.variant_id = $2)
  RETURNING id, status, currency
),
line AS (
  INSERT INTO carts.cart_lines (id, cart_id, variant_id, quantity)
  SELECT $3, cart.id, $2, $4 FROM cart
  RETURNING quantity, variant_id
)
SELECT json_build_object('cartCreate', json_build_object(
  'cart', (SELECT json_build_object(
             'status', cart.status, 'currency', cart.currency, 'totalQuantity', line.quantity,
             'lines', json_build_array(json_build_object(
               'quantity', line.quantity,
               'variant', (SELECT json_build_object(
                             'sku', v.sku,
                             'price', json_build_object(
                               'amount', {_VARIANT_PRICE},
                               'currency', v.currency),
                             'product', json_build_object('name', p.name))
                             FROM products.variants v
                             JOIN products.products p ON p.id = v.product_id
                            WHERE v.id = line.variant_id))))
             FROM cart, line),
  'errors', '[]'::json))::text
"""  # noqa: S608 - built from this module's fragments, no input

Handler = Callable[[asyncpg.Pool, dict[str, Any]], Awaitable[str | None]]


async def _listing(pool: asyncpg.Pool, variables: dict[str, Any]) -> str | None:
    return await pool.fetchval(LISTING, int(variables["first"]), _media())  # type: ignore[no-any-return]


async def _product(pool: asyncpg.Pool, variables: dict[str, Any]) -> str | None:
    return await pool.fetchval(PRODUCT, str(variables["slug"]), _media())  # type: ignore[no-any-return]


async def _search(pool: asyncpg.Pool, variables: dict[str, Any]) -> str | None:
    criteria = variables["filter"]
    return await pool.fetchval(  # type: ignore[no-any-return]
        SEARCH,
        criteria["search"],
        criteria["minPrice"],
        criteria["maxPrice"],
        criteria["currency"],
        criteria["inStock"],
    )


async def _cart_add(pool: asyncpg.Pool, variables: dict[str, Any]) -> str | None:
    (line,) = variables["lines"]
    return await pool.fetchval(  # type: ignore[no-any-return]
        CART_ADD, uuid.uuid4(), uuid.UUID(line["variantId"]), uuid.uuid4(), line["quantity"]
    )


HANDLERS: dict[str, Handler] = {
    "StorefrontListing": _listing,
    "ProductPage": _product,
    "Search": _search,
    "CartAdd": _cart_add,
}

# Statements use $MEDIA where the image URL prefix goes; asyncpg numbers it per statement.
LISTING = LISTING.replace("$MEDIA", "$2")
PRODUCT = PRODUCT.replace("$MEDIA", "$2")


def _media() -> str:
    return Settings.from_env().media_base_url


def build_app(database_url: str, *, pool_size: int = 10) -> Starlette:
    state: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(
            database_url.replace("postgresql+asyncpg://", "postgresql://"),
            min_size=2,
            max_size=pool_size,
        )
        try:
            yield
        finally:
            await state["pool"].close()

    async def graphql(request: Request) -> Response:
        body = orjson.loads(await request.body())
        handler = HANDLERS.get(body.get("operationName") or "")
        if handler is None:
            # Enough for a readiness probe; anything else is not a workload.
            if body.get("query", "").strip() == "{ __typename }":
                return Response(b'{"data":{"__typename":"Query"}}', media_type="application/json")
            error = {"errors": [{"message": "the floor answers only the bench's operations"}]}
            return Response(orjson.dumps(error), status_code=400, media_type="application/json")
        answer = await handler(state["pool"], body.get("variables") or {})
        data = b"null" if answer is None else answer.encode()
        return Response(b'{"data":' + data + b"}", media_type="application/json")

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])], lifespan=lifespan)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4100)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    uvicorn.run(
        build_app(args.database_url),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
