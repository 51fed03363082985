"""Business rules of the products domain.

Every method takes the session first and never commits: the caller's unit of work does,
so a rule that fails half-way leaves nothing written. Methods record the cache keys their
writes make stale (`mark_stale`); the caller deletes them once the commit succeeded.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Role, Viewer
from domains.kit.cache import mark_stale
from domains.kit.errors import DomainError, FieldError, InputErrors, PermissionDenied, quoted
from domains.kit.pagination import InvalidPaginationArgument, decode_cursor, encode_cursor
from domains.products import cache as keys
from domains.products import events
from domains.products.currencies import normalize_currency
from domains.products.errors import ProductErrorCode
from domains.products.media import media_base_url
from domains.products.models import (
    AdjustmentReason,
    Inventory,
    InventoryChange,
    Product,
    ProductImage,
    ProductStatus,
    ReservationStatus,
    Review,
    StockReservation,
    Variant,
)
from domains.products.repository import (
    ProductSearch,
    ProductSort,
    SearchAggregates,
    StockLevel,
    category_repository,
    cursor_value,
    image_repository,
    inventory_repository,
    parse_cursor_values,
    product_repository,
    rating_repository,
    reservation_repository,
    review_repository,
    search_repository,
    seller_repository,
    sort_key_count,
    variant_repository,
)

Code = ProductErrorCode

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SKU = re.compile(r"^[A-Z0-9](?:[A-Z0-9._-]{0,62}[A-Z0-9])?$")
_STORAGE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*\.(?:jpe?g|png|webp|avif|gif)$", re.I)

MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 20_000
# GraphQL's Int is 32-bit; prices are stored as bigint, but no client could send more.
MAX_AMOUNT = 2_000_000_000
MAX_WEIGHT_GRAMS = 1_000_000_000
MAX_OPTIONS = 10
MAX_STOCK_CHANGE = 1_000_000
MAX_IMAGES_PER_PRODUCT = 20
MAX_ALT_TEXT_LENGTH = 300
MAX_REVIEW_TITLE_LENGTH = 200
MAX_REVIEW_BODY_LENGTH = 5_000
MAX_SEARCH_LENGTH = 200
DEFAULT_HOLD = timedelta(minutes=15)


class _Unchanged(Enum):
    UNCHANGED = "UNCHANGED"


# "Leave as it is", as opposed to None, which clears a nullable field.
UNCHANGED: Final = _Unchanged.UNCHANGED


def _now() -> datetime:
    return datetime.now(UTC)


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InputErrors.single(
            field, Code.INVALID, f"{quoted(value)} is not a valid ID."
        ) from None


def clean_text(raw: str, field: str, *, max_length: int, required: bool = True) -> str:
    value = raw.strip()
    if required and not value:
        raise InputErrors.single(field, Code.REQUIRED, f"`{field}` must not be empty.")
    if len(value) > max_length:
        raise InputErrors.single(
            field,
            Code.TOO_LONG,
            f"`{field}` must be at most {max_length} characters (got {len(value)}).",
        )
    return value


class _Errors:
    """Collects every problem of one input, so the client hears of all of them at once."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str | None, code: Code, message: str) -> None:
        self.items.append(FieldError(field, code, message))

    def check(self, run: Any) -> Any:
        try:
            return run()
        except InputErrors as error:
            self.items.extend(error.errors)
            return None

    def raise_if_any(self) -> None:
        if self.items:
            raise InputErrors(*self.items)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:180].strip("-")


def _clean_slug(raw: str) -> str:
    slug = raw.strip().lower()
    if not (2 <= len(slug) <= 200) or not _SLUG.match(slug):
        raise InputErrors.single(
            "slug",
            Code.INVALID_SLUG,
            f"A slug is 2 to 200 lowercase letters, digits and single hyphens (got {quoted(raw)}).",
        )
    return slug


# --------------------------------------------------------------------------- who


@dataclass(frozen=True)
class Actor:
    """A signed-in caller and the shops they run."""

    user_id: uuid.UUID
    is_staff: bool
    seller_ids: frozenset[uuid.UUID]

    def may_edit(self, seller_id: uuid.UUID) -> bool:
        return self.is_staff or seller_id in self.seller_ids


async def actor_of(session: AsyncSession, viewer: Viewer) -> Actor:
    user_id = viewer.require_user()
    seller_ids: frozenset[uuid.UUID] = frozenset()
    if Role.SELLER in viewer.roles:
        # The token names the shop (`shop` claim); the local table covers older tokens.
        known = await seller_repository.ids_for_user(session, user_id)
        token_shop = {viewer.seller_profile_id} if viewer.seller_profile_id else set()
        seller_ids = frozenset({*known, *token_shop})
    return Actor(user_id=user_id, is_staff=viewer.is_staff, seller_ids=seller_ids)


async def _catalog_editor(session: AsyncSession, viewer: Viewer) -> Actor:
    actor = await actor_of(session, viewer)
    if not actor.is_staff and Role.SELLER not in viewer.roles:
        raise PermissionDenied("Only sellers and staff can manage products.")
    return actor


def _ensure_can_edit(actor: Actor, product: Product) -> None:
    if not actor.may_edit(product.seller_id):
        raise PermissionDenied("Only the product's seller or staff can change it.")


def _product_keys(product: Product, *more_slugs: str) -> list[str]:
    return [
        keys.product(product.id),
        keys.product_slug(product.slug),
        *(keys.product_slug(slug) for slug in more_slugs),
    ]


# --------------------------------------------------------------------------- products


@dataclass(frozen=True)
class ProductFields:
    """Product input as given; None means "not given" (for updates)."""

    name: str | None = None
    slug: str | None = None
    description: str | None = None
    category_id: str | _Unchanged | None = UNCHANGED
    status: str | None = None
    seller_id: str | None = None


class CatalogService:
    async def create(self, session: AsyncSession, viewer: Viewer, fields: ProductFields) -> Product:
        actor = await _catalog_editor(session, viewer)
        seller_id = self._seller_for_new_product(actor, fields.seller_id)
        errors = _Errors()
        if fields.name is None:
            errors.add("name", Code.REQUIRED, "`name` is required.")
            name = None
        else:
            name = errors.check(lambda: clean_text(fields.name or "", "name", max_length=200))
        description = errors.check(
            lambda: clean_text(
                fields.description or "",
                "description",
                max_length=MAX_DESCRIPTION_LENGTH,
                required=False,
            )
        )
        slug = None if fields.slug is None else errors.check(lambda: _clean_slug(fields.slug or ""))
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
        try:
            async with session.begin_nested():
                await product_repository.add(session, product)
        except IntegrityError:
            raise InputErrors.single(
                "slug", Code.DUPLICATE_SLUG, f"The slug {slug!r} is taken."
            ) from None
        mark_stale(session, *_product_keys(product), keys.SEARCH_GENERATION)
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
        self, session: AsyncSession, raw: str | _Unchanged | None, errors: _Errors
    ) -> uuid.UUID | _Unchanged | None:
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
        actor = await _catalog_editor(session, viewer)
        product = await self._get_for_update(session, product_id)
        _ensure_can_edit(actor, product)
        old_slug = product.slug
        errors = _Errors()
        name = (
            None
            if fields.name is None
            else errors.check(lambda: clean_text(fields.name or "", "name", max_length=200))
        )
        description = (
            None
            if fields.description is None
            else errors.check(
                lambda: clean_text(
                    fields.description or "",
                    "description",
                    max_length=MAX_DESCRIPTION_LENGTH,
                    required=False,
                )
            )
        )
        slug = None if fields.slug is None else errors.check(lambda: _clean_slug(fields.slug or ""))
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
        if category_id is not UNCHANGED:
            product.category_id = category_id
        if status is not None:
            product.status = status
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            raise InputErrors.single(
                "slug", Code.DUPLICATE_SLUG, f"The slug {product.slug!r} is taken."
            ) from None
        await session.refresh(product)
        mark_stale(session, *_product_keys(product, old_slug), keys.SEARCH_GENERATION)
        return product

    def _check_status(self, product: Product, raw: str, errors: _Errors) -> str | None:
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
        actor = await _catalog_editor(session, viewer)
        product = await self._get_for_update(session, product_id)
        _ensure_can_edit(actor, product)
        product.status = ProductStatus.ARCHIVED.value
        await session.flush()
        await session.refresh(product)
        mark_stale(session, *_product_keys(product), keys.SEARCH_GENERATION)
        return product

    async def _get_for_update(self, session: AsyncSession, product_id: uuid.UUID) -> Product:
        product = await product_repository.get_for_update(session, product_id)
        if product is None:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such product.")
        return product


def can_see(product: Product, viewer: Viewer, seller_ids: frozenset[uuid.UUID]) -> bool:
    """Drafts are visible to their seller and staff only; archived products stay
    reachable by id (old orders and links point at them) but leave the listings."""
    if product.status != ProductStatus.DRAFT.value:
        return True
    return viewer.is_staff or product.seller_id in seller_ids


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class MoneyInput:
    amount: int
    currency: str


@dataclass(frozen=True)
class VariantFields:
    """Variant input as given; None means "not given" where UNCHANGED is not the default."""

    sku: str | None = None
    price: MoneyInput | None = None
    compare_at_price: MoneyInput | _Unchanged | None = UNCHANGED
    weight_grams: int | _Unchanged | None = UNCHANGED
    options: Sequence[tuple[str, str]] | None = None
    stock: int | None = None


def _clean_sku(raw: str) -> str:
    sku = raw.strip().upper()
    if not _SKU.match(sku):
        raise InputErrors.single(
            "sku",
            Code.INVALID_SKU,
            "A SKU is 1 to 64 letters, digits, dots, hyphens and underscores, starting and "
            f"ending with a letter or digit (got {quoted(raw)}).",
        )
    return sku


def _clean_money(money: MoneyInput, field: str, errors: _Errors) -> MoneyInput | None:
    ok = True
    if money.amount < 0:
        errors.add(
            f"{field}.amount",
            Code.INVALID_PRICE,
            f"`{field}.amount` must not be negative (got {money.amount}).",
        )
        ok = False
    elif money.amount > MAX_AMOUNT:
        errors.add(
            f"{field}.amount",
            Code.INVALID_PRICE,
            f"`{field}.amount` must be at most {MAX_AMOUNT} minor units (got {money.amount}).",
        )
        ok = False
    currency = normalize_currency(money.currency)
    if currency is None:
        errors.add(
            f"{field}.currency",
            Code.INVALID_CURRENCY,
            f"{quoted(money.currency)} is not an ISO 4217 currency code.",
        )
        ok = False
    return MoneyInput(money.amount, currency) if ok and currency else None


def _clean_options(raw: Sequence[tuple[str, str]], errors: _Errors) -> list[dict[str, str]] | None:
    if len(raw) > MAX_OPTIONS:
        errors.add("options", Code.INVALID_OPTIONS, f"A variant has at most {MAX_OPTIONS} options.")
        return None
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, (name, value) in enumerate(raw):
        name, value = name.strip(), value.strip()
        if not name or not value or len(name) > 50 or len(value) > 100:
            errors.add(
                f"options.{index}",
                Code.INVALID_OPTIONS,
                "An option has a name (1-50 characters) and a value (1-100 characters).",
            )
            return None
        if name.lower() in seen:
            errors.add(
                f"options.{index}.name",
                Code.INVALID_OPTIONS,
                f"The option {quoted(name)} is given twice.",
            )
            return None
        seen.add(name.lower())
        cleaned.append({"name": name, "value": value})
    return cleaned


def _option_signature(options: Sequence[dict[str, str]]) -> frozenset[tuple[str, str]]:
    return frozenset((item["name"].lower(), item["value"].lower()) for item in options)


class VariantService:
    async def create(
        self,
        session: AsyncSession,
        viewer: Viewer,
        product_id: uuid.UUID,
        fields: VariantFields,
    ) -> Variant:
        actor = await _catalog_editor(session, viewer)
        # The product row lock serialises variant changes of one product, so the
        # currency and duplicate-options checks below cannot race.
        product = await product_repository.get_for_update(session, product_id)
        if product is None:
            raise InputErrors.single("productId", Code.NOT_FOUND, "No such product.")
        _ensure_can_edit(actor, product)
        errors = _Errors()
        sku = None
        if fields.sku is None:
            errors.add("sku", Code.REQUIRED, "`sku` is required.")
        else:
            sku = errors.check(lambda: _clean_sku(fields.sku or ""))
        price = None
        if fields.price is None:
            errors.add("price", Code.REQUIRED, "`price` is required.")
        else:
            price = _clean_money(fields.price, "price", errors)
        compare_at = self._compare_at(fields.compare_at_price, price, errors)
        weight = self._weight(fields.weight_grams, errors)
        options = _clean_options(fields.options or (), errors)
        if fields.stock is not None and not (0 <= fields.stock <= MAX_STOCK_CHANGE):
            errors.add(
                "stock",
                Code.INVALID_QUANTITY,
                f"`stock` must be between 0 and {MAX_STOCK_CHANGE} (got {fields.stock}).",
            )
        errors.raise_if_any()
        assert sku is not None
        assert price is not None
        assert options is not None

        siblings = await variant_repository.list_by_product_ids(session, [product.id])
        self._check_siblings(siblings, price.currency, options, errors)
        errors.raise_if_any()
        if await variant_repository.sku_exists(session, sku):
            raise InputErrors.single("sku", Code.DUPLICATE_SKU, f"The SKU {sku!r} is taken.")
        variant = Variant(
            product_id=product.id,
            sku=sku,
            options=options,
            price_amount=price.amount,
            currency=price.currency,
            compare_at_amount=None if compare_at is None else compare_at.amount,
            weight_grams=None if weight is UNCHANGED else weight,
            position=max((s.position for s in siblings), default=-1) + 1,
        )
        try:
            async with session.begin_nested():
                await variant_repository.add(session, variant)
        except IntegrityError:
            raise InputErrors.single(
                "sku", Code.DUPLICATE_SKU, f"The SKU {sku!r} is taken."
            ) from None
        await product_repository.refresh_price_summary(session, product.id)
        if fields.stock:
            level = await inventory_repository.adjust_on_hand(session, variant.id, fields.stock)
            assert level is not None
            await inventory_repository.add_movements(
                session,
                [
                    _movement(
                        level,
                        InventoryChange.ADJUSTMENT,
                        on_hand_delta=fields.stock,
                        reason=AdjustmentReason.RECEIVED,
                        note="Initial stock",
                        actor_id=actor.user_id,
                    )
                ],
            )
            await _after_stock_changes(session, [_StockChange(level, 0)])
        mark_stale(
            session,
            *_product_keys(product),
            keys.variants_of(product.id),
            keys.variant(variant.id),
            keys.variant_sku(sku),
            keys.inventory(variant.id),
            keys.SEARCH_GENERATION,
        )
        await _publish_price(session, product, variant)
        return variant

    async def update(
        self,
        session: AsyncSession,
        viewer: Viewer,
        variant_id: uuid.UUID,
        fields: VariantFields,
    ) -> Variant:
        actor = await _catalog_editor(session, viewer)
        found = await variant_repository.get_by_ids(session, [variant_id])
        if not found:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such variant.")
        # Product first, then variant: the same lock order as variantCreate.
        product = await product_repository.get_for_update(session, found[0].product_id)
        variant = await variant_repository.get_for_update(session, variant_id)
        if product is None or variant is None:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such variant.")
        _ensure_can_edit(actor, product)
        old_sku = variant.sku
        errors = _Errors()
        sku = None if fields.sku is None else errors.check(lambda: _clean_sku(fields.sku or ""))
        price = None if fields.price is None else _clean_money(fields.price, "price", errors)
        current_price = MoneyInput(variant.price_amount, variant.currency)
        compare_at = self._compare_at(fields.compare_at_price, price or current_price, errors)
        if fields.compare_at_price is UNCHANGED and price is not None:
            compare_at = self._compare_at(
                None
                if variant.compare_at_amount is None
                else MoneyInput(variant.compare_at_amount, variant.currency),
                price,
                errors,
                field="price",
            )
        weight = self._weight(fields.weight_grams, errors)
        options = None if fields.options is None else _clean_options(fields.options, errors)
        if fields.stock is not None:
            errors.add(
                "stock", Code.INVALID, "Change stock with inventoryAdjust, which keeps an audit."
            )
        errors.raise_if_any()

        siblings = [
            sibling
            for sibling in await variant_repository.list_by_product_ids(session, [product.id])
            if sibling.id != variant.id
        ]
        self._check_siblings(
            siblings,
            (price or current_price).currency,
            variant.options if options is None else options,
            errors,
        )
        errors.raise_if_any()
        if sku is not None and sku != variant.sku:
            if await variant_repository.sku_exists(session, sku, other_than=variant.id):
                raise InputErrors.single("sku", Code.DUPLICATE_SKU, f"The SKU {sku!r} is taken.")
            variant.sku = sku
        if price is not None:
            variant.price_amount = price.amount
            variant.currency = price.currency
        if fields.compare_at_price is not UNCHANGED or price is not None:
            variant.compare_at_amount = None if compare_at is None else compare_at.amount
        if weight is not UNCHANGED:
            variant.weight_grams = weight
        if options is not None:
            variant.options = options
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            raise InputErrors.single(
                "sku", Code.DUPLICATE_SKU, f"The SKU {variant.sku!r} is taken."
            ) from None
        stale = [
            keys.variants_of(product.id),
            keys.variant(variant.id),
            keys.variant_sku(old_sku),
            keys.variant_sku(variant.sku),
        ]
        if price is not None:
            await product_repository.refresh_price_summary(session, product.id)
            stale += [*_product_keys(product), keys.SEARCH_GENERATION]
        await session.refresh(variant)
        mark_stale(session, *stale)
        if price is not None:
            await _publish_price(session, product, variant)
        return variant

    def _compare_at(
        self,
        raw: MoneyInput | _Unchanged | None,
        price: MoneyInput | None,
        errors: _Errors,
        *,
        field: str = "compareAtPrice",
    ) -> MoneyInput | None:
        if raw is UNCHANGED or raw is None:
            return None
        compare_at = _clean_money(raw, "compareAtPrice", errors)
        if compare_at is None or price is None:
            return compare_at
        if compare_at.currency != price.currency:
            errors.add(
                f"{field}.currency",
                Code.CURRENCY_MISMATCH,
                "The compare-at price must be in the price's currency.",
            )
        elif compare_at.amount <= price.amount:
            errors.add(
                f"{field}.amount",
                Code.INVALID_PRICE,
                "The compare-at price (what it used to cost) must be higher than the price.",
            )
        return compare_at

    def _weight(self, raw: int | _Unchanged | None, errors: _Errors) -> int | _Unchanged | None:
        if isinstance(raw, int) and not (0 <= raw <= MAX_WEIGHT_GRAMS):
            errors.add(
                "weightGrams",
                Code.INVALID,
                f"`weightGrams` must be between 0 and {MAX_WEIGHT_GRAMS} (got {raw}).",
            )
            return UNCHANGED
        return raw

    def _check_siblings(
        self,
        siblings: Sequence[Variant],
        currency: str,
        options: Sequence[dict[str, str]],
        errors: _Errors,
    ) -> None:
        other_currencies = {sibling.currency for sibling in siblings} - {currency}
        if other_currencies:
            errors.add(
                "price.currency",
                Code.CURRENCY_MISMATCH,
                f"Every variant of a product has one currency; this product's is "
                f"{sorted(other_currencies)[0]}.",
            )
        signature = _option_signature(options)
        if any(_option_signature(sibling.options) == signature for sibling in siblings):
            errors.add(
                "options",
                Code.DUPLICATE_VARIANT,
                "Another variant of this product has the same options.",
            )


async def _publish_price(session: AsyncSession, product: Product, variant: Variant) -> None:
    await events.publish(
        session,
        events.VariantPriceChanged(
            variant_id=variant.id,
            product_id=product.id,
            seller_id=product.seller_id,
            sku=variant.sku,
            price_amount=variant.price_amount,
            currency=variant.currency,
            changed_at=_now(),
        ),
    )


# --------------------------------------------------------------------------- stock


def _movement(
    level: StockLevel,
    kind: InventoryChange,
    *,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    reason: AdjustmentReason | None = None,
    note: str = "",
    actor_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "variant_id": level.variant_id,
        "kind": kind.value,
        "reason": None if reason is None else reason.value,
        "note": note,
        "on_hand_delta": on_hand_delta,
        "reserved_delta": reserved_delta,
        "on_hand_after": level.on_hand,
        "reserved_after": level.reserved,
        "actor_id": actor_id,
        "order_id": order_id,
    }


@dataclass(frozen=True)
class _StockChange:
    level: StockLevel
    available_before: int

    @property
    def crossed_zero(self) -> bool:
        return (self.available_before > 0) != (self.level.on_hand - self.level.reserved > 0)


async def _after_stock_changes(session: AsyncSession, changes: Sequence[_StockChange]) -> None:
    """Keep products' `in_stock` true to their variants, and record what went stale.

    Only a variant selling out or coming back can flip its product, so the products are
    touched (and listings dropped from the cache) only then. Callers have locked the
    inventory rows already; the product rows are locked after them, in id order.
    """
    for change in changes:
        # Carts keep a hint of what can be ordered (merging carts caps by it).
        await events.publish(
            session,
            events.StockLevelChanged(
                variant_id=change.level.variant_id,
                available=change.level.on_hand - change.level.reserved,
                changed_at=_now(),
            ),
        )
    stale = [keys.inventory(change.level.variant_id) for change in changes]
    crossed = [change.level.variant_id for change in changes if change.crossed_zero]
    if crossed:
        flipped = await product_repository.refresh_stock_flags(session, crossed)
        for product_id, slug in flipped:
            stale += [keys.product(product_id), keys.product_slug(slug)]
        if flipped:
            stale.append(keys.SEARCH_GENERATION)
    mark_stale(session, *stale)


class InventoryService:
    async def adjust(
        self,
        session: AsyncSession,
        viewer: Viewer,
        variant_id: uuid.UUID,
        *,
        delta: int,
        reason: str,
        note: str | None = None,
    ) -> Inventory:
        actor = await _catalog_editor(session, viewer)
        found = await variant_repository.get_by_ids(session, [variant_id])
        products = (
            await product_repository.get_by_ids(session, [found[0].product_id]) if found else []
        )
        if not found or not products:
            raise InputErrors.single("variantId", Code.NOT_FOUND, "No such variant.")
        _ensure_can_edit(actor, products[0])
        errors = _Errors()
        if delta == 0 or abs(delta) > MAX_STOCK_CHANGE:
            errors.add(
                "delta",
                Code.INVALID_QUANTITY,
                f"`delta` must be a non-zero change of at most {MAX_STOCK_CHANGE} units "
                f"(got {delta}).",
            )
        try:
            why = AdjustmentReason(reason)
        except ValueError:
            errors.add("reason", Code.INVALID, f"{quoted(reason)} is not an adjustment reason.")
        clean_note = errors.check(
            lambda: clean_text(note or "", "note", max_length=500, required=False)
        )
        errors.raise_if_any()

        level = await inventory_repository.adjust_on_hand(session, variant_id, delta)
        if level is None:
            current = await inventory_repository.get(session, variant_id)
            on_hand, reserved = (0, 0) if current is None else (current.on_hand, current.reserved)
            raise InputErrors.single(
                "delta",
                Code.INSUFFICIENT_STOCK,
                f"Cannot remove {-delta}: {on_hand} on hand, of which {reserved} reserved.",
            )
        await inventory_repository.add_movements(
            session,
            [
                _movement(
                    level,
                    InventoryChange.ADJUSTMENT,
                    on_hand_delta=delta,
                    reason=why,
                    note=clean_note or "",
                    actor_id=actor.user_id,
                )
            ],
        )
        await _after_stock_changes(
            session, [_StockChange(level, level.on_hand - delta - level.reserved)]
        )
        return Inventory(variant_id=variant_id, on_hand=level.on_hand, reserved=level.reserved)


@dataclass(frozen=True)
class StockLine:
    variant_id: uuid.UUID
    quantity: int


class StockService:
    """Holding stock for orders: what checkout calls.

    `reserve` is all or nothing and safe under concurrency: each line is one conditional
    UPDATE (see InventoryRepository.reserve), taken in variant-id order so two orders
    locking the same variants cannot deadlock, and any shortfall raises, which rolls
    the whole unit of work back. `release` and `commit` claim the order's reservations
    with one UPDATE first, so each unit is given back or shipped exactly once.
    """

    async def reserve(
        self,
        session: AsyncSession,
        order_id: uuid.UUID,
        lines: Sequence[StockLine],
        *,
        hold_for: timedelta = DEFAULT_HOLD,
        now: datetime | None = None,
    ) -> list[StockReservation]:
        wanted = self._merge(lines)
        existing = await reservation_repository.for_order(session, order_id)
        if existing:
            statuses = {row.status for row in existing}
            held = {row.variant_id: row.quantity for row in existing}
            if statuses == {ReservationStatus.RESERVED.value} and held == wanted:
                return list(existing)  # a retried call: already done
            if statuses != {ReservationStatus.RELEASED.value}:
                raise InputErrors.single(
                    "orderId",
                    Code.ALREADY_RESERVED,
                    "Stock is already reserved for this order, or was sold to it.",
                )
            # The previous hold lapsed or was cancelled: the order may hold stock again.
            await reservation_repository.delete_for_order(session, order_id)
        errors = _Errors()
        movements: list[dict[str, Any]] = []
        changes: list[_StockChange] = []
        positions = {line.variant_id: index for index, line in enumerate(lines)}
        for variant_id in sorted(wanted):
            quantity = wanted[variant_id]
            level = await inventory_repository.reserve(session, variant_id, quantity)
            if level is None:
                await self._shortage(session, variant_id, quantity, positions, errors)
                continue
            movements.append(
                _movement(
                    level,
                    InventoryChange.RESERVATION,
                    reserved_delta=quantity,
                    order_id=order_id,
                )
            )
            changes.append(_StockChange(level, level.on_hand - level.reserved + quantity))
        # Locks are taken in variant order; problems are reported in the caller's order.
        errors.items.sort(key=lambda item: int((item.field or "lines.0").split(".")[1]))
        errors.raise_if_any()
        expires_at = (now or _now()) + hold_for
        try:
            created = await reservation_repository.add_all(
                session,
                [
                    {
                        "order_id": order_id,
                        "variant_id": variant_id,
                        "quantity": quantity,
                        "status": ReservationStatus.RESERVED.value,
                        "expires_at": expires_at,
                    }
                    for variant_id, quantity in sorted(wanted.items())
                ],
            )
        except IntegrityError:
            # A concurrent reserve for the same order got there first. No savepoint is
            # needed: raising rolls the whole unit of work back, stock included.
            raise InputErrors.single(
                "orderId", Code.ALREADY_RESERVED, "Stock is already reserved for this order."
            ) from None
        await inventory_repository.add_movements(session, movements)
        await _after_stock_changes(session, changes)
        return list(created)

    def _merge(self, lines: Sequence[StockLine]) -> dict[uuid.UUID, int]:
        errors = _Errors()
        if not lines:
            errors.add("lines", Code.REQUIRED, "Reserve at least one line.")
        wanted: dict[uuid.UUID, int] = {}
        for index, line in enumerate(lines):
            if not (0 < line.quantity <= MAX_STOCK_CHANGE):
                errors.add(
                    f"lines.{index}.quantity",
                    Code.INVALID_QUANTITY,
                    f"A quantity is between 1 and {MAX_STOCK_CHANGE} (got {line.quantity}).",
                )
            wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.quantity
        errors.raise_if_any()
        return wanted

    async def _shortage(
        self,
        session: AsyncSession,
        variant_id: uuid.UUID,
        quantity: int,
        positions: dict[uuid.UUID, int],
        errors: _Errors,
    ) -> None:
        current = await inventory_repository.get(session, variant_id)
        index = positions[variant_id]
        if current is None:
            errors.add(f"lines.{index}.variantId", Code.NOT_FOUND, "No such variant.")
        else:
            errors.add(
                f"lines.{index}.quantity",
                Code.INSUFFICIENT_STOCK,
                f"Only {max(current.on_hand - current.reserved, 0)} available "
                f"(asked for {quantity}).",
            )

    async def release(self, session: AsyncSession, order_id: uuid.UUID) -> list[StockReservation]:
        """Give an order's held stock back (cancelled, expired). Idempotent."""
        return await self._close(session, order_id, ReservationStatus.RELEASED)

    async def commit(self, session: AsyncSession, order_id: uuid.UUID) -> list[StockReservation]:
        """The order is paid: its held units leave stock for good. Idempotent."""
        return await self._close(session, order_id, ReservationStatus.COMMITTED)

    async def restock(self, session: AsyncSession, order_id: uuid.UUID) -> list[StockReservation]:
        """A paid order was cancelled before it shipped: its committed units go back on
        hand. Idempotent, like release and commit."""
        rows = await reservation_repository.close_for_order(
            session,
            order_id,
            ReservationStatus.RESTOCKED.value,
            from_status=ReservationStatus.COMMITTED.value,
        )
        movements: list[dict[str, Any]] = []
        changes: list[_StockChange] = []
        for row in rows:
            level = await inventory_repository.restock(session, row.variant_id, row.quantity)
            movements.append(
                _movement(
                    level, InventoryChange.RESTOCK, on_hand_delta=row.quantity, order_id=order_id
                )
            )
            changes.append(_StockChange(level, level.on_hand - level.reserved - row.quantity))
        await inventory_repository.add_movements(session, movements)
        await _after_stock_changes(session, changes)
        return list(rows)

    async def expired_orders(
        self, session: AsyncSession, *, now: datetime | None = None, limit: int = 100
    ) -> list[uuid.UUID]:
        """Orders whose hold lapsed, oldest first: release each in its own unit of work
        (one order's locks at a time, in the same order as a checkout takes them)."""
        return await reservation_repository.expired_orders(session, now or _now(), limit)

    async def _close(
        self, session: AsyncSession, order_id: uuid.UUID, status: ReservationStatus
    ) -> list[StockReservation]:
        rows = await reservation_repository.close_for_order(session, order_id, status.value)
        movements: list[dict[str, Any]] = []
        changes: list[_StockChange] = []
        for row in rows:
            if status is ReservationStatus.COMMITTED:
                level = await inventory_repository.commit(session, row.variant_id, row.quantity)
                movements.append(
                    _movement(
                        level,
                        InventoryChange.COMMIT,
                        on_hand_delta=-row.quantity,
                        reserved_delta=-row.quantity,
                        order_id=order_id,
                    )
                )
                # On hand and reserved drop together: what is available does not move.
                changes.append(_StockChange(level, level.on_hand - level.reserved))
            else:
                level = await inventory_repository.release(session, row.variant_id, row.quantity)
                movements.append(
                    _movement(
                        level,
                        InventoryChange.RELEASE,
                        reserved_delta=-row.quantity,
                        order_id=order_id,
                    )
                )
                changes.append(_StockChange(level, level.on_hand - level.reserved - row.quantity))
        await inventory_repository.add_movements(session, movements)
        await _after_stock_changes(session, changes)
        return list(rows)


# --------------------------------------------------------------------------- images


def storage_key_of(raw: str, base: str) -> str:
    """The media-store path of an image given as a path or as a URL under the media base."""
    value = raw.strip()
    if value.startswith(base + "/"):
        value = value[len(base) + 1 :]
    elif "://" in value or value.startswith("//"):
        raise InputErrors.single(
            "url",
            Code.INVALID_IMAGE,
            f"Images are served from {base}; upload the file there and pass its path.",
        )
    parts = value.split("/")
    if (
        len(value) > 500
        or not _STORAGE_KEY.match(value)
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise InputErrors.single(
            "url",
            Code.INVALID_IMAGE,
            "An image path looks like products/<id>/front.jpg (jpg, png, webp, avif or gif; "
            f"no '..') (got {quoted(raw)}).",
        )
    return value


class ImageService:
    async def add(
        self,
        session: AsyncSession,
        viewer: Viewer,
        product_id: uuid.UUID,
        *,
        url: str,
        alt_text: str | None,
        position: int | None,
    ) -> ProductImage:
        actor = await _catalog_editor(session, viewer)
        product = await product_repository.get_for_update(session, product_id)
        if product is None:
            raise InputErrors.single("productId", Code.NOT_FOUND, "No such product.")
        _ensure_can_edit(actor, product)
        errors = _Errors()
        key = errors.check(lambda: storage_key_of(url, media_base_url()))
        alt = errors.check(
            lambda: clean_text(
                alt_text or "", "altText", max_length=MAX_ALT_TEXT_LENGTH, required=False
            )
        )
        if position is not None and position < 0:
            errors.add(
                "position", Code.INVALID, f"`position` must not be negative (got {position})."
            )
        errors.raise_if_any()
        count = await image_repository.count_for_product(session, product.id)
        if count >= MAX_IMAGES_PER_PRODUCT:
            raise InputErrors.single(
                None,
                Code.TOO_MANY_IMAGES,
                f"A product has at most {MAX_IMAGES_PER_PRODUCT} images.",
            )
        at = count if position is None else min(position, count)
        if at < count:
            await image_repository.make_room(session, product.id, at)
        image = ProductImage(
            product_id=product.id, storage_key=key, alt_text=alt or "", position=at
        )
        await image_repository.add(session, image)
        mark_stale(session, keys.images_of(product.id))
        return image

    async def remove(
        self, session: AsyncSession, viewer: Viewer, image_id: uuid.UUID
    ) -> ProductImage:
        actor = await _catalog_editor(session, viewer)
        found = await image_repository.get_for_update(session, image_id)
        if found is None:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such image.")
        product = await product_repository.get_for_update(session, found.product_id)
        assert product is not None  # the image's foreign key cascades
        _ensure_can_edit(actor, product)
        await image_repository.delete(session, found.id)
        await image_repository.close_gap(session, product.id, found.position)
        mark_stale(session, keys.images_of(product.id))
        return found


# --------------------------------------------------------------------------- reviews


class ReviewService:
    async def create(
        self,
        session: AsyncSession,
        viewer: Viewer,
        product_id: uuid.UUID,
        *,
        rating: int,
        title: str,
        body: str | None,
    ) -> Review:
        author_id = viewer.require_user()
        if Role.CUSTOMER not in viewer.roles:
            raise PermissionDenied("Only customer accounts can write reviews.")
        errors = _Errors()
        if not (1 <= rating <= 5):
            errors.add("rating", Code.INVALID_RATING, f"A rating is 1 to 5 stars (got {rating}).")
        clean_title = errors.check(
            lambda: clean_text(title, "title", max_length=MAX_REVIEW_TITLE_LENGTH)
        )
        clean_body = errors.check(
            lambda: clean_text(
                body or "", "body", max_length=MAX_REVIEW_BODY_LENGTH, required=False
            )
        )
        errors.raise_if_any()

        found = await product_repository.get_by_ids(session, [product_id])
        product = found[0] if found else None
        if product is None or product.status == ProductStatus.DRAFT.value:
            raise InputErrors.single("productId", Code.NOT_FOUND, "No such product.")
        if product.status == ProductStatus.ARCHIVED.value:
            raise InputErrors.single(
                "productId", Code.CANNOT_REVIEW, "This product is no longer sold."
            )
        if product.seller_id in await seller_repository.ids_for_user(session, author_id):
            raise InputErrors.single(
                "productId", Code.CANNOT_REVIEW, "Sellers cannot review their own products."
            )
        if await review_repository.exists_for(session, product.id, author_id):
            raise _already_reviewed()
        review = Review(
            product_id=product.id,
            author_id=author_id,
            rating=rating,
            title=clean_title,
            body=clean_body or "",
            verified_purchase=await review_repository.has_purchased(session, author_id, product.id),
        )
        try:
            async with session.begin_nested():
                await review_repository.add(session, review)
        except IntegrityError:
            raise _already_reviewed() from None
        await rating_repository.add_review(session, product.id, rating)
        await events.publish(
            session,
            events.ReviewPublished(
                review_id=review.id,
                product_id=product.id,
                author_id=author_id,
                rating=rating,
                verified_purchase=review.verified_purchase,
                published_at=_now(),
            ),
        )
        mark_stale(
            session,
            keys.review(review.id),
            keys.rating(product.id),
            keys.reviews_by_author(author_id),
            keys.SEARCH_GENERATION,
        )
        return review

    async def delete(self, session: AsyncSession, viewer: Viewer, review_id: uuid.UUID) -> Review:
        user_id = viewer.require_user()
        review = await review_repository.get_for_update(session, review_id)
        if review is None:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such review.")
        if review.author_id != user_id and not viewer.is_staff:
            raise PermissionDenied("Only the review's author or staff can delete it.")
        await review_repository.delete(session, review.id)
        await rating_repository.remove_review(session, review.product_id, review.rating)
        await events.publish(
            session,
            events.ReviewRemoved(
                review_id=review.id,
                product_id=review.product_id,
                rating=review.rating,
                removed_at=_now(),
            ),
        )
        mark_stale(
            session,
            keys.review(review.id),
            keys.rating(review.product_id),
            keys.reviews_by_author(review.author_id),
            keys.SEARCH_GENERATION,
        )
        return review


def _already_reviewed() -> InputErrors:
    return InputErrors.single(
        "productId", Code.ALREADY_REVIEWED, "You have already reviewed this product."
    )


# --------------------------------------------------------------------------- search


class InvalidSearchArgument(DomainError):
    code = "BAD_USER_INPUT"


@dataclass(frozen=True)
class ProductFilter:
    """A listing filter as the client sent it."""

    search: str | None = None
    category_id: str | None = None
    seller_id: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    currency: str | None = None
    in_stock: bool | None = None
    statuses: Sequence[str] | None = None


@dataclass(frozen=True)
class SearchPage:
    rows: list[tuple[Product, str]]
    has_next_page: bool
    has_previous_page: bool


def _parse_filter_id(raw: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidSearchArgument(f"`filter.{field}`: {quoted(raw)} is not a valid ID.") from None


class SearchService:
    def criteria(
        self, viewer: Viewer, seller_ids: frozenset[uuid.UUID], raw: ProductFilter | None
    ) -> ProductSearch:
        """Validate a filter; only staff and a shop's own seller see non-ACTIVE products."""
        raw = raw or ProductFilter()
        text = None
        if raw.search is not None:
            text = " ".join(raw.search.split()) or None
            if text is not None and len(text) > MAX_SEARCH_LENGTH:
                raise InvalidSearchArgument(
                    f"`filter.search` must be at most {MAX_SEARCH_LENGTH} characters."
                )
        for name, value in (("minPrice", raw.min_price), ("maxPrice", raw.max_price)):
            if value is not None and value < 0:
                raise InvalidSearchArgument(f"`filter.{name}` must not be negative (got {value}).")
        if (
            raw.min_price is not None
            and raw.max_price is not None
            and raw.min_price > raw.max_price
        ):
            raise InvalidSearchArgument("`filter.minPrice` must not exceed `filter.maxPrice`.")
        currency = None
        if raw.currency is not None:
            currency = normalize_currency(raw.currency)
            if currency is None:
                raise InvalidSearchArgument(
                    f"`filter.currency`: {quoted(raw.currency)} is not an ISO 4217 currency code."
                )
        seller_id = None if raw.seller_id is None else _parse_filter_id(raw.seller_id, "sellerId")
        statuses: tuple[str, ...] = (ProductStatus.ACTIVE.value,)
        if raw.statuses:
            try:
                statuses = tuple(sorted({ProductStatus(value).value for value in raw.statuses}))
            except ValueError:
                raise InvalidSearchArgument("`filter.statuses` holds an unknown status.") from None
            if statuses != (ProductStatus.ACTIVE.value,) and not (
                viewer.is_staff or (seller_id is not None and seller_id in seller_ids)
            ):
                raise PermissionDenied(
                    "Only staff, or a seller filtering on their own shop, can list products "
                    "that are not ACTIVE."
                )
        return ProductSearch(
            text=text,
            category_id=(
                None if raw.category_id is None else _parse_filter_id(raw.category_id, "categoryId")
            ),
            seller_id=seller_id,
            min_price=raw.min_price,
            max_price=raw.max_price,
            currency=currency,
            in_stock=raw.in_stock,
            statuses=statuses,
        )

    def decode_after(
        self, criteria: ProductSearch, sort: ProductSort, after: str | None
    ) -> list[Any] | None:
        if after is None:
            return None
        kind = f"Product:{sort.value}"
        try:
            raw = decode_cursor(kind, after, arity=sort_key_count(criteria, sort))
            return parse_cursor_values(criteria, sort, raw)
        except ValueError:
            raise InvalidPaginationArgument(f"The cursor {quoted(after)} is malformed.") from None

    async def page(
        self,
        session: AsyncSession,
        criteria: ProductSearch,
        sort: ProductSort,
        *,
        first: int,
        after: str | None,
    ) -> SearchPage:
        after_values = self.decode_after(criteria, sort, after)
        rows = await search_repository.page(
            session, criteria, sort, limit=first + 1, after=after_values
        )
        kind = f"Product:{sort.value}"
        page = [
            (product, encode_cursor(kind, [cursor_value(value) for value in values]))
            for product, values in rows[:first]
        ]
        return SearchPage(
            rows=page, has_next_page=len(rows) > first, has_previous_page=after is not None
        )

    async def aggregates(self, session: AsyncSession, criteria: ProductSearch) -> SearchAggregates:
        return await search_repository.aggregates(session, criteria)


class SellerService:
    async def link(self, session: AsyncSession, seller_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Record who runs a shop (the users domain's SellerProfileCreated, once events flow)."""
        await seller_repository.link(session, seller_id, user_id)
        mark_stale(session, keys.sellers_of_user(user_id))


catalog = CatalogService()
variants = VariantService()
inventory = InventoryService()
stock = StockService()
images = ImageService()
reviews = ReviewService()
search = SearchService()
sellers = SellerService()
