"""The fallback price of an order whose checkout sent no breakdown (a carts producer older
than pricing): a flat shipping fee per seller, tax zero, no discounts.

Orders placed from a priced checkout keep the quote the customer checked out at
(CheckoutRequested.pricing, checked by breakdown.py); this rule prices only the others,
once their stock is reserved and their sellers and prices are known. It answers the same
shape as the quote, so both are stored and shown alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domains.orders import events

SHIPPING_PER_SELLER = 500
FALLBACK_METHOD_NAME = "Standard shipping"


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """`amount` split in proportion to `weights` by the largest remainder: the shares add
    up to `amount` exactly. Equal weights when they are all zero; ties go to the first."""
    if not weights:
        return []
    if sum(weights) == 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    shares = [amount * weight // whole for weight in weights]
    remainders = [amount * weight % whole for weight in weights]
    by_remainder = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in by_remainder[: amount - sum(shares)]:
        shares[index] += 1
    return shares


def fallback_pricing(reserved: Sequence[events.ReservedLine]) -> events.CheckoutPricing:
    """The breakdown of the flat rule over the reserved lines: each seller's parcel costs
    SHIPPING_PER_SELLER, shared over its lines in proportion to their goods."""
    currency = reserved[0].currency
    sellers: dict[uuid.UUID, list[events.ReservedLine]] = {}
    for line in reserved:
        sellers.setdefault(line.seller_id, []).append(line)
    shipping_of: dict[uuid.UUID, int] = {}
    for seller_lines in sellers.values():
        shares = allocate(
            SHIPPING_PER_SELLER, [line.unit_price * line.quantity for line in seller_lines]
        )
        shipping_of.update(zip((line.variant_id for line in seller_lines), shares, strict=True))
    lines = [
        events.PricedLine(
            variant_id=line.variant_id,
            seller_id=line.seller_id,
            list_unit_price=line.unit_price,
            unit_price=line.unit_price,
            quantity=line.quantity,
            discount=0,
            shipping=shipping_of[line.variant_id],
            tax=0,
            total=line.unit_price * line.quantity + shipping_of[line.variant_id],
        )
        for line in reserved
    ]
    subtotal = sum(line.list_unit_price * line.quantity for line in lines)
    shipping = SHIPPING_PER_SELLER * len(sellers)
    return events.CheckoutPricing(
        currency=currency,
        tax_included=False,
        subtotal=subtotal,
        discount=0,
        shipping=shipping,
        tax=0,
        total=subtotal + shipping,
        discounts=[],
        parcels=[
            events.PricedParcel(
                seller_id=seller_id,
                method_id=None,
                method_name=FALLBACK_METHOD_NAME,
                price=SHIPPING_PER_SELLER,
                tax=0,
                # The flat fee promised no delivery time: stored as none (breakdown.py).
                min_days=0,
                max_days=0,
            )
            for seller_id in sellers
        ],
        lines=lines,
        voucher_codes=[],
    )
