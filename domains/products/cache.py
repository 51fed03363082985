"""Redis keys of the products domain, and what each write makes stale.

Entities live under `products:<kind>:<id>` (the kit's EntityCache adds REDIS_KEY_PREFIX)
for REDIS_TTL. Listings and their facets live for five minutes under a *generation*:
`products:search:<generation>:...`, where the generation is a random token kept at
`products:search-generation`. A write that can change any listing (a product's name,
status or price, a review, stock running out or coming back) deletes the generation key,
so every cached listing is orphaned at once without scanning for keys; the next search
starts a new generation.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from domains.kit.cache import EntityCache, dumps

NAMESPACE = "products"
SEARCH_TTL = timedelta(minutes=5)
SEARCH_GENERATION = f"{NAMESPACE}:search-generation"
CATEGORY_TREE = f"{NAMESPACE}:category-tree"


def product(product_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:product:{product_id}"


def product_slug(slug: str) -> str:
    return f"{NAMESPACE}:product-slug:{slug}"


def variants_of(product_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:variants-of:{product_id}"


def variant(variant_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:variant:{variant_id}"


def variant_sku(sku: str) -> str:
    return f"{NAMESPACE}:variant-sku:{sku}"


def inventory(variant_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:inventory:{variant_id}"


def images_of(product_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:images-of:{product_id}"


def category(category_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:category:{category_id}"


def rating(product_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:rating:{product_id}"


def review(review_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:review:{review_id}"


def reviews_by_author(author_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:reviews-by-author:{author_id}"


def sellers_of_user(user_id: uuid.UUID) -> str:
    return f"{NAMESPACE}:sellers-of-user:{user_id}"


def _digest(parts: Sequence[Any]) -> str:
    return hashlib.sha256(dumps(list(parts))).hexdigest()[:32]


def search_page(generation: str, parts: Sequence[Any]) -> str:
    return f"{NAMESPACE}:search:{generation}:page:{_digest(parts)}"


def search_aggregates(generation: str, parts: Sequence[Any]) -> str:
    return f"{NAMESPACE}:search:{generation}:facets:{_digest(parts)}"


async def search_generation(cache: EntityCache) -> str:
    """The current listing generation, starting a new one if there is none."""
    generation: str = await cache.add(SEARCH_GENERATION, uuid.uuid4().hex, ttl=SEARCH_TTL * 2)
    return generation
