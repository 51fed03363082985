"""A cart's lines as the pricing engine sees them: each line with what carts last heard
of its variant (its offer) becomes a CartItem.

A line whose offer lacks a price, a product or a seller cannot be priced: it is reported
by variant, never priced at a guess.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domains.carts.models import CartLine, VariantOffer
from domains.carts.pricing.money import CartItem


class UnpricedLines(Exception):
    """Lines whose offer carts has not heard enough of to price them."""

    def __init__(self, variant_ids: Sequence[uuid.UUID]) -> None:
        super().__init__(f"no price, product or seller known for {len(variant_ids)} variant(s)")
        self.variant_ids = list(variant_ids)


@dataclass(frozen=True)
class CartItems:
    """The lines that can be priced, in cart order, and the variants of those that cannot."""

    items: list[CartItem]
    unpriced: list[uuid.UUID]


def item_of(line: CartLine, offer: VariantOffer | None) -> CartItem | None:
    """The line as a CartItem, or None when its offer lacks a price, product or seller."""
    if (
        offer is None
        or offer.price_amount is None
        or offer.product_id is None
        or offer.seller_id is None
    ):
        return None
    unit_price = offer.price_amount
    # An older producer sends no list price: the price is then the list price. A list
    # price below the price would be a producer's mistake: never a negative promotion.
    list_unit_price = max(offer.list_price_amount or unit_price, unit_price)
    return CartItem(
        variant_id=line.variant_id,
        product_id=offer.product_id,
        seller_id=offer.seller_id,
        category_ids=frozenset(offer.category_ids or ()),
        quantity=line.quantity,
        list_unit_price=list_unit_price,
        unit_price=unit_price,
        promotion_name=offer.promotion_name if unit_price < list_unit_price else None,
    )


def split_items(lines: Sequence[CartLine], offers: Mapping[uuid.UUID, VariantOffer]) -> CartItems:
    """Every line that can be priced as a CartItem, and the variants of the others."""
    items: list[CartItem] = []
    unpriced: list[uuid.UUID] = []
    for line in lines:
        item = item_of(line, offers.get(line.variant_id))
        if item is None:
            unpriced.append(line.variant_id)
        else:
            items.append(item)
    return CartItems(items=items, unpriced=unpriced)


def items_of(lines: Sequence[CartLine], offers: Mapping[uuid.UUID, VariantOffer]) -> list[CartItem]:
    """Every line as a CartItem, in cart order; UnpricedLines names the variants of the
    lines that cannot be priced (none is left out silently)."""
    split = split_items(lines, offers)
    if split.unpriced:
        raise UnpricedLines(split.unpriced)
    return split.items
