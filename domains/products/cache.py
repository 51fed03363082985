"""Redis keys of the products domain, and what each write makes stale.

Entities live under `products:<kind>:<id>` (the kit's EntityCache adds REDIS_KEY_PREFIX)
for REDIS_TTL. Listings live under a generation kept at SEARCH_GENERATION: a write that
can change any listing deletes that key, which orphans every cached listing at once
(domains/products/search/service.py keeps the listing cache).

Promotions never enter an entity or a listing: those hold list prices, and every read
prices them with the live and upcoming promotions kept whole under PROMOTIONS, deciding
which are live at the moment of the read (domains/products/promotion_price.py). So a
promotion's start or end needs no eviction at all (nothing cached holds its effect),
and a promotion write deletes just PROMOTIONS.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

NAMESPACE = "products"
SEARCH_GENERATION = f"{NAMESPACE}:search-generation"
CATEGORY_TREE = f"{NAMESPACE}:category-tree"
PROMOTIONS = f"{NAMESPACE}:promotions"

KeyT = TypeVar("KeyT", uuid.UUID, str)


def _entity(kind: str, _: type[KeyT]) -> Callable[[KeyT], str]:
    """The key of one `kind` of entity, by its id (or slug, or SKU)."""

    def key(value: KeyT) -> str:
        return f"{NAMESPACE}:{kind}:{value}"

    return key


product = _entity("product", uuid.UUID)
product_slug = _entity("product-slug", str)
variants_of = _entity("variants-of", uuid.UUID)
variant = _entity("variant", uuid.UUID)
variant_sku = _entity("variant-sku", str)
inventory = _entity("inventory", uuid.UUID)
images_of = _entity("images-of", uuid.UUID)
category = _entity("category", uuid.UUID)
rating = _entity("rating", uuid.UUID)
review = _entity("review", uuid.UUID)
reviews_by_author = _entity("reviews-by-author", uuid.UUID)
sellers_of_user = _entity("sellers-of-user", uuid.UUID)
