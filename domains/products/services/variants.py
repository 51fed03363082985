"""Variants: the purchasable versions of a product, their SKU, price and options, and
the price change event."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Viewer
from domains.kit.cache import mark_stale
from domains.kit.errors import InputErrors, quoted
from domains.products import cache as keys
from domains.products.currencies import normalize_currency
from domains.products.models import AdjustmentReason, InventoryChange, Product, Variant
from domains.products.repositories.catalog import product_repository
from domains.products.repositories.stock import inventory_repository
from domains.products.repositories.variants import variant_repository
from domains.products.services.actors import catalog_editor, ensure_can_edit, product_to_edit
from domains.products.services.catalog import product_keys
from domains.products.services.promoted_prices import publish_prices
from domains.products.services.stock import (
    MAX_STOCK_CHANGE,
    StockChange,
    after_stock_changes,
    movement,
)
from domains.products.services.validation import (
    UNCHANGED,
    Code,
    Errors,
    Unchanged,
    now_utc,
    refuse_duplicate,
)

_SKU = re.compile(r"^[A-Z0-9](?:[A-Z0-9._-]{0,62}[A-Z0-9])?$")

# GraphQL's Int is 32-bit; prices are stored as bigint, but no client could send more.
MAX_AMOUNT = 2_000_000_000
MAX_WEIGHT_GRAMS = 1_000_000_000
MAX_OPTIONS = 10


@dataclass(frozen=True)
class MoneyInput:
    amount: int
    currency: str


@dataclass(frozen=True)
class VariantFields:
    """Variant input as given; None means "not given" where UNCHANGED is not the default."""

    sku: str | None = None
    price: MoneyInput | None = None
    compare_at_price: MoneyInput | Unchanged | None = UNCHANGED
    weight_grams: int | Unchanged | None = UNCHANGED
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


def _clean_money(money: MoneyInput, field: str, errors: Errors) -> MoneyInput | None:
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


def _clean_options(raw: Sequence[tuple[str, str]], errors: Errors) -> list[dict[str, str]] | None:
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
        # The product row lock serialises variant changes of one product, so the
        # currency and duplicate-options checks below cannot race.
        actor, product = await product_to_edit(session, viewer, product_id, field="productId")
        errors = Errors()
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
        async with refuse_duplicate(
            session, "sku", Code.DUPLICATE_SKU, lambda: f"The SKU {sku!r} is taken."
        ):
            await variant_repository.add(session, variant)
        await product_repository.refresh_price_summary(session, product.id)
        if fields.stock:
            level = await inventory_repository.adjust_on_hand(session, variant.id, fields.stock)
            assert level is not None
            await inventory_repository.add_movements(
                session,
                [
                    movement(
                        level,
                        InventoryChange.ADJUSTMENT,
                        on_hand_delta=fields.stock,
                        reason=AdjustmentReason.RECEIVED,
                        note="Initial stock",
                        actor_id=actor.user_id,
                    )
                ],
            )
            await after_stock_changes(session, [StockChange(level, 0)])
        mark_stale(
            session,
            *product_keys(product),
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
        actor = await catalog_editor(session, viewer)
        found = await variant_repository.get_by_ids(session, [variant_id])
        if not found:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such variant.")
        # Product first, then variant: the same lock order as variantCreate.
        product = await product_repository.get_for_update(session, found[0].product_id)
        variant = await variant_repository.get_for_update(session, variant_id)
        if product is None or variant is None:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such variant.")
        ensure_can_edit(actor, product)
        old_sku = variant.sku
        errors = Errors()
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
        async with refuse_duplicate(
            session, "sku", Code.DUPLICATE_SKU, lambda: f"The SKU {variant.sku!r} is taken."
        ):
            await session.flush()
        stale = [
            keys.variants_of(product.id),
            keys.variant(variant.id),
            keys.variant_sku(old_sku),
            keys.variant_sku(variant.sku),
        ]
        if price is not None:
            await product_repository.refresh_price_summary(session, product.id)
            stale += [*product_keys(product), keys.SEARCH_GENERATION]
        await session.refresh(variant)
        mark_stale(session, *stale)
        if price is not None:
            await _publish_price(session, product, variant)
        return variant

    # Reads of the GraphQL loaders and the storefront worker.

    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Variant]:
        return await variant_repository.get_by_ids(session, ids)

    async def get_by_skus(self, session: AsyncSession, skus: Sequence[str]) -> Sequence[Variant]:
        return await variant_repository.get_by_skus(session, skus)

    async def of_products(
        self, session: AsyncSession, product_ids: Sequence[uuid.UUID]
    ) -> Sequence[Variant]:
        """The products' variants, each product's in the seller's order."""
        return await variant_repository.list_by_product_ids(session, product_ids)

    def _compare_at(
        self,
        raw: MoneyInput | Unchanged | None,
        price: MoneyInput | None,
        errors: Errors,
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

    def _weight(self, raw: int | Unchanged | None, errors: Errors) -> int | Unchanged | None:
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
        errors: Errors,
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
    """What the variant sells for now (its list price under the best live promotion)."""
    await publish_prices(session, [(variant, product)], now_utc())


variants = VariantService()
