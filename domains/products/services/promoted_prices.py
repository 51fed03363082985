"""Variants priced with the promotions live at an instant, in a write's transaction: what
the price events and the stock reservation say a variant sells for.

Two statements whatever the number of variants: the open promotions (with the
categories each covers), and the lineage of the products' categories.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domains.products import events
from domains.products.models import Product, Variant
from domains.products.promotion_price import PriceBook, PromotedPrice, PromotionTerms
from domains.products.repositories.promotions import promotion_repository


@dataclass(frozen=True)
class PricedVariant:
    variant: Variant
    product: Product
    price: PromotedPrice
    # The product's category and every category above it, nearest first.
    category_ids: list[uuid.UUID]


async def open_promotions(session: AsyncSession, now: datetime) -> list[PromotionTerms]:
    """The promotions live at `now` or still to come."""
    rows = await promotion_repository.open_with_coverage(session, now)
    return [PromotionTerms.of(row, covered) for row, covered in rows]


async def price_variants(
    session: AsyncSession, pairs: Sequence[tuple[Variant, Product]], now: datetime
) -> list[PricedVariant]:
    """Each (variant, its product) priced at `now`, in the order given."""
    if not pairs:
        return []
    book = PriceBook(tuple(await open_promotions(session, now)), now)
    lineages = await promotion_repository.lineages(
        session, [product.category_id for _, product in pairs if product.category_id is not None]
    )
    return [
        PricedVariant(
            variant=variant,
            product=product,
            price=book.price(variant.price_amount, variant.currency, product),
            category_ids=(
                [] if product.category_id is None else lineages.get(product.category_id, [])
            ),
        )
        for variant, product in pairs
    ]


def price_changed(priced: PricedVariant, now: datetime) -> events.VariantPriceChanged:
    promotion = priced.price.promotion
    return events.VariantPriceChanged(
        variant_id=priced.variant.id,
        product_id=priced.product.id,
        seller_id=priced.product.seller_id,
        sku=priced.variant.sku,
        price_amount=priced.price.price,
        currency=priced.variant.currency,
        changed_at=now,
        list_price_amount=priced.price.list_price,
        promotion_name=None if promotion is None else promotion.name,
        category_ids=priced.category_ids,
    )


async def publish_prices(
    session: AsyncSession, pairs: Sequence[tuple[Variant, Product]], now: datetime
) -> int:
    """One VariantPriceChanged per variant, priced at `now`; how many were published.

    One event per variant rather than VariantOffersLoaded batches: a price change is what
    happened, and an offers batch would also restate stock, which may have moved since.
    The events are written in the caller's transaction, so a large scope costs one
    outbox row per variant there.
    """
    for priced in await price_variants(session, pairs, now):
        await events.publish(session, price_changed(priced, now))
    return len(pairs)
