"""PriceChange: what checkoutComplete found different from the quote the customer was
shown, on the PRICE_CHANGED error."""

from __future__ import annotations

from enum import Enum

import strawberry

from domains.carts.pricing.quote_token import Change


@strawberry.enum(
    name="PriceChangeKind",
    description="LINE_PRICE: a variant's price (or a line joined or left the cart). "
    "PROMOTION: a line's promotion or promoted price. VOUCHER: a voucher's discount. "
    "SHIPPING: a parcel's method or price. TAX: a tax rate or the tax amount. TOTAL: the "
    "total.",
)
class PriceChangeKind(Enum):
    LINE_PRICE = "LINE_PRICE"
    PROMOTION = "PROMOTION"
    VOUCHER = "VOUCHER"
    SHIPPING = "SHIPPING"
    TAX = "TAX"
    TOTAL = "TOTAL"


@strawberry.type(description="One thing that differs from the quote the customer was shown.")
class PriceChange:
    what: PriceChangeKind
    subject: str = strawberry.field(
        description="What changed: a variant id (LINE_PRICE, PROMOTION, TAX), a voucher "
        "code, a seller id (SHIPPING), `shipping` (the tax rate on shipping) or `total`."
    )
    before: int | None = strawberry.field(
        description="As shown: minor units, or basis points for a tax rate; null when absent."
    )
    after: int | None = strawberry.field(
        description="As it is now: minor units, or basis points for a tax rate; null when absent."
    )
    message: str

    @classmethod
    def of(cls, change: Change) -> PriceChange:
        return cls(
            what=PriceChangeKind(change.what.value),
            subject=change.subject,
            before=change.before,
            after=change.after,
            message=change.message,
        )
