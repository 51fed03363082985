"""The catalog: creating, editing and archiving products, who may see a draft, and the
catalog reads the GraphQL loaders make (products, categories, a shop's page)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Viewer
from domains.kit.cache import mark_stale
from domains.kit.errors import InputErrors, PermissionDenied, clean_slug, quoted
from domains.products import cache as keys
from domains.products.models import Category, Product, ProductStatus
from domains.products.repositories.catalog import product_repository
from domains.products.repositories.categories import category_repository
from domains.products.repositories.variants import variant_repository
from domains.products.services.actors import Actor, catalog_editor, product_to_edit
from domains.products.services.pages import NewestPages
from domains.products.services.promoted_prices import publish_prices
from domains.products.services.validation import (
    UNCHANGED,
    Code,
    Errors,
    Unchanged,
    clean_text,
    now_utc,
    parse_id,
    refuse_duplicate,
    slugify,
)

MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 20_000


_clean_slug = partial(clean_slug, what="A slug", shortest=2, longest=200, invalid=Code.INVALID_SLUG)


def _clean_name(raw: str) -> str:
    return clean_text(raw, "name", max_length=MAX_NAME_LENGTH)


def _clean_description(raw: str) -> str:
    return clean_text(raw, "description", max_length=MAX_DESCRIPTION_LENGTH, required=False)


def _given(errors: Errors, raw: str | None, clean: Callable[[str], str]) -> str | None:
    """`raw` cleaned, or None when it was not given (or its problem went into `errors`)."""
    return None if raw is None else errors.check(lambda: clean(raw))


def product_keys(product: Product, *more_slugs: str) -> list[str]:
    return [
        keys.product(product.id),
        keys.product_slug(product.slug),
        *(keys.product_slug(slug) for slug in more_slugs),
    ]


@dataclass(frozen=True)
class ProductFields:
    """Product input as given; None means "not given" (for updates)."""

    name: str | None = None
    slug: str | None = None
    description: str | None = None
    category_id: str | Unchanged | None = UNCHANGED
    status: str | None = None
    seller_id: str | None = None


class CatalogService:
    async def create(self, session: AsyncSession, viewer: Viewer, fields: ProductFields) -> Product:
        actor = await catalog_editor(session, viewer)
        seller_id = self._seller_for_new_product(actor, fields.seller_id)
        errors = Errors()
        if fields.name is None:
            errors.add("name", Code.REQUIRED, "`name` is required.")
        name = _given(errors, fields.name, _clean_name)
        description = _given(errors, fields.description or "", _clean_description)
        slug = _given(errors, fields.slug, _clean_slug)
        category_id = await self._category(session, fields.category_id, errors)
        if fields.status not in (None, ProductStatus.DRAFT.value):
            errors.add(
                "status",
                Code.INVALID_STATUS,
                "A new product starts as DRAFT; add a variant, then set it ACTIVE.",
            )
        errors.raise_if_any()
        assert name is not None

        if slug is None:
            slug = await self._free_slug(session, slugify(name) or "product")
        elif await product_repository.slug_exists(session, slug):
            raise InputErrors.single("slug", Code.DUPLICATE_SLUG, f"The slug {slug!r} is taken.")
        product = Product(
            seller_id=seller_id,
            category_id=None if category_id is UNCHANGED else category_id,
            name=name,
            slug=slug,
            description=description or "",
            status=ProductStatus.DRAFT.value,
        )
        async with refuse_duplicate(
            session, "slug", Code.DUPLICATE_SLUG, lambda: f"The slug {slug!r} is taken."
        ):
            await product_repository.add(session, product)
        mark_stale(session, *product_keys(product), keys.SEARCH_GENERATION)
        return product

    def _seller_for_new_product(self, actor: Actor, raw: str | None) -> uuid.UUID:
        if raw is not None:
            seller_id = parse_id(raw, "sellerId")
            if not actor.may_edit(seller_id):
                raise PermissionDenied("Sellers can only create products for their own shop.")
            return seller_id
        if len(actor.seller_ids) == 1:
            return next(iter(actor.seller_ids))
        if actor.is_staff:
            raise InputErrors.single(
                "sellerId", Code.REQUIRED, "Staff must say which seller the product belongs to."
            )
        raise InputErrors.single(
            "sellerId",
            Code.NOT_A_SELLER,
            "Your account runs no shop: open one with sellerProfileCreate, then call "
            "tokenRefresh for an access token that names it.",
        )

    async def _category(
        self, session: AsyncSession, raw: str | Unchanged | None, errors: Errors
    ) -> uuid.UUID | Unchanged | None:
        if raw is UNCHANGED or raw is None:
            return raw
        try:
            category_id = parse_id(raw, "categoryId")
        except InputErrors as error:
            errors.items.extend(error.errors)
            return UNCHANGED
        if not await category_repository.exists(session, category_id):
            errors.add("categoryId", Code.NOT_FOUND, "No such category.")
            return UNCHANGED
        return category_id

    async def _free_slug(self, session: AsyncSession, base: str) -> str:
        if not await product_repository.slug_exists(session, base):
            return base
        # Taken: a short random suffix rather than counting up, which would race.
        return f"{base[:190]}-{uuid.uuid4().hex[:6]}"

    async def update(
        self, session: AsyncSession, viewer: Viewer, product_id: uuid.UUID, fields: ProductFields
    ) -> Product:
        _, product = await product_to_edit(session, viewer, product_id, field="id")
        old_slug = product.slug
        errors = Errors()
        name = _given(errors, fields.name, _clean_name)
        description = _given(errors, fields.description, _clean_description)
        slug = _given(errors, fields.slug, _clean_slug)
        category_id = await self._category(session, fields.category_id, errors)
        status = None
        if fields.status is not None:
            status = self._check_status(product, fields.status, errors)
        errors.raise_if_any()

        if slug is not None and slug != product.slug:
            if await product_repository.slug_exists(session, slug, other_than=product.id):
                raise InputErrors.single(
                    "slug", Code.DUPLICATE_SLUG, f"The slug {slug!r} is taken."
                )
            product.slug = slug
        if name is not None:
            product.name = name
        if description is not None:
            product.description = description
        category_changed = category_id is not UNCHANGED and category_id != product.category_id
        if category_id is not UNCHANGED:
            product.category_id = category_id
        if status is not None:
            product.status = status
        async with refuse_duplicate(
            session, "slug", Code.DUPLICATE_SLUG, lambda: f"The slug {product.slug!r} is taken."
        ):
            await session.flush()
        await session.refresh(product)
        mark_stale(session, *product_keys(product, old_slug), keys.SEARCH_GENERATION)
        if category_changed:
            # Category promotions may now reach it or no longer, and the events name
            # the product's categories: its variants' prices are announced again.
            variants = await variant_repository.list_by_product_ids(session, [product.id])
            await publish_prices(session, [(variant, product) for variant in variants], now_utc())
        return product

    def _check_status(self, product: Product, raw: str, errors: Errors) -> str | None:
        try:
            status = ProductStatus(raw)
        except ValueError:
            errors.add("status", Code.INVALID_STATUS, f"{quoted(raw)} is not a product status.")
            return None
        if status is ProductStatus.ACTIVE and product.price_min is None:
            errors.add(
                "status", Code.NO_VARIANTS, "Add at least one variant before activating a product."
            )
            return None
        return status.value

    async def archive(
        self, session: AsyncSession, viewer: Viewer, product_id: uuid.UUID
    ) -> Product:
        _, product = await product_to_edit(session, viewer, product_id, field="id")
        product.status = ProductStatus.ARCHIVED.value
        await session.flush()
        await session.refresh(product)
        mark_stale(session, *product_keys(product), keys.SEARCH_GENERATION)
        return product

    # Reads of the GraphQL loaders.

    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Product]:
        return await product_repository.get_by_ids(session, ids)

    async def get_by_slugs(self, session: AsyncSession, slugs: Sequence[str]) -> Sequence[Product]:
        return await product_repository.get_by_slugs(session, slugs)

    # Pages of shops' ACTIVE products, newest first: one per (seller id, size, cursor).
    newest_pages = NewestPages(product_repository.page_by_sellers, lambda row: row.seller_id)

    async def count_by_sellers(
        self, session: AsyncSession, seller_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, int]:
        return await product_repository.count_by_sellers(session, seller_ids)

    async def categories_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Category]:
        return await category_repository.get_by_ids(session, ids)

    async def category_tree(self, session: AsyncSession) -> Sequence[Category]:
        """Every category, in the order siblings are shown."""
        return await category_repository.list_all(session)


def can_see(product: Product, viewer: Viewer, seller_ids: frozenset[uuid.UUID]) -> bool:
    """Drafts are visible to their seller and staff only; archived products stay
    reachable by id (old orders and links point at them) but leave the listings."""
    if product.status != ProductStatus.DRAFT.value:
        return True
    return viewer.is_staff or product.seller_id in seller_ids


catalog = CatalogService()
