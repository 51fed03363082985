"""What an order costs beyond its lines.

Shipping is a flat fee per seller (each seller ships their own parcel), in the order's
currency's minor units. Tax is zero until a tax engine exists; the column and the field
are there so that adding one changes no contract.
"""

from __future__ import annotations

SHIPPING_PER_SELLER = 500


def shipping_for(seller_count: int) -> int:
    return SHIPPING_PER_SELLER * seller_count


def tax_for(subtotal: int, country_code: str) -> int:
    return 0
