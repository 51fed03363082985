"""The AppliedVoucher type: a code applied to a cart, as Cart.vouchers lists it.

Apart from the voucher types, so that the Cart type can name it without importing the
mutations' payloads (which import the Cart type).
"""

from __future__ import annotations

import strawberry

from domains.carts.pricing.vouchers.repository import AppliedCode


@strawberry.type(description="A voucher code applied to a cart.")
class AppliedVoucher:
    code: str = strawberry.field(description="Upper-case, as stored.")
    name: str

    @classmethod
    def from_row(cls, row: AppliedCode) -> AppliedVoucher:
        return cls(code=row.code, name=row.name)
