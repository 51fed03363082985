"""The quote token: what a customer was shown (each line's prices and promotion, each
voucher's discount, each parcel's method and price, the tax rates and amount, the total),
compact and signed, so checkout can say exactly what changed since.

Format: `q1.<payload>.<signature>`, the payload zlib-compressed JSON in base64url, the
signature the first 16 bytes of its HMAC-SHA256 under the carts quote key. A token never
sets a price: checkout charges what the rules say at that moment and only compares.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domains.carts.events import CheckoutPricing
from domains.carts.pricing.money import CartItem, TaxRates

PREFIX = "q1"
SIGNATURE_BYTES = 16
# Far above any cart's token (100 lines, vouchers, parcels): refuse anything bigger unread.
MAX_TOKEN_LENGTH = 16_384


class InvalidQuoteToken(Exception):
    """The token is malformed, or was not signed with this shop's key."""


@dataclass(frozen=True)
class LineShown:
    list_unit_price: int
    unit_price: int
    promotion_name: str | None
    tax_rate: int


@dataclass(frozen=True)
class ParcelShown:
    method_id: uuid.UUID | None
    method_name: str
    price: int


@dataclass(frozen=True)
class QuoteComponents:
    """What a quote showed, as compared at checkout."""

    cart_id: uuid.UUID
    currency: str
    tax_included: bool
    lines: Mapping[uuid.UUID, LineShown]  # by variant
    vouchers: Mapping[str, int]  # code -> discount
    parcels: Mapping[uuid.UUID, ParcelShown]  # by seller
    shipping_tax_rate: int
    tax: int
    total: int

    @classmethod
    def of(
        cls,
        cart_id: uuid.UUID,
        items: Sequence[CartItem],
        pricing: CheckoutPricing,
        rates: TaxRates,
    ) -> QuoteComponents:
        promotions = {item.variant_id: item.promotion_name for item in items}
        return cls(
            cart_id=cart_id,
            currency=pricing.currency,
            tax_included=pricing.tax_included,
            lines={
                line.variant_id: LineShown(
                    list_unit_price=line.list_unit_price,
                    unit_price=line.unit_price,
                    promotion_name=promotions.get(line.variant_id),
                    tax_rate=rates.line_rates.get(line.variant_id, 0),
                )
                for line in pricing.lines
            },
            vouchers={
                discount.code: discount.amount
                for discount in pricing.discounts
                if discount.code is not None
            },
            parcels={
                parcel.seller_id: ParcelShown(parcel.method_id, parcel.method_name, parcel.price)
                for parcel in pricing.parcels
            },
            shipping_tax_rate=rates.shipping_rate,
            tax=pricing.tax,
            total=pricing.total,
        )


# --------------------------------------------------------------------------- encoding


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: str, payload: str) -> str:
    digest = hmac.new(key.encode(), f"{PREFIX}.{payload}".encode(), hashlib.sha256).digest()
    return _b64(digest[:SIGNATURE_BYTES])


def _hex(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def encode(components: QuoteComponents, key: str) -> str:
    body: dict[str, Any] = {
        "c": components.cart_id.hex,
        "cu": components.currency,
        "i": components.tax_included,
        "l": [
            [v.hex, s.list_unit_price, s.unit_price, s.promotion_name, s.tax_rate]
            for v, s in components.lines.items()
        ],
        "v": [[code, amount] for code, amount in components.vouchers.items()],
        "p": [
            [seller.hex, _hex(p.method_id), p.method_name, p.price]
            for seller, p in components.parcels.items()
        ],
        "sr": components.shipping_tax_rate,
        "t": components.tax,
        "T": components.total,
    }
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    payload = _b64(zlib.compress(raw, 9))
    return f"{PREFIX}.{payload}.{_signature(key, payload)}"


def decode(token: str, key: str) -> QuoteComponents:
    """The components a token holds; InvalidQuoteToken unless this shop signed it."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidQuoteToken("too long")
    prefix, _, rest = token.strip().partition(".")
    payload, _, signature = rest.partition(".")
    if prefix != PREFIX or not payload or not signature:
        raise InvalidQuoteToken("malformed")
    if not hmac.compare_digest(signature, _signature(key, payload)):
        raise InvalidQuoteToken("bad signature")
    try:
        body = json.loads(zlib.decompress(_unb64(payload), bufsize=MAX_TOKEN_LENGTH * 8))
        return QuoteComponents(
            cart_id=uuid.UUID(hex=body["c"]),
            currency=str(body["cu"]),
            tax_included=bool(body["i"]),
            lines={
                uuid.UUID(hex=v): LineShown(int(lp), int(up), promo, int(rate))
                for v, lp, up, promo, rate in body["l"]
            },
            vouchers={str(code): int(amount) for code, amount in body["v"]},
            parcels={
                uuid.UUID(hex=seller): ParcelShown(
                    None if method is None else uuid.UUID(hex=method), str(name), int(price)
                )
                for seller, method, name, price in body["p"]
            },
            shipping_tax_rate=int(body["sr"]),
            tax=int(body["t"]),
            total=int(body["T"]),
        )
    except (ValueError, KeyError, TypeError, zlib.error, binascii.Error) as error:
        # Signed by us yet unreadable: a token of another format version.
        raise InvalidQuoteToken("unreadable") from error


# --------------------------------------------------------------------------- changes


class ChangeKind(StrEnum):
    LINE_PRICE = "LINE_PRICE"
    PROMOTION = "PROMOTION"
    VOUCHER = "VOUCHER"
    SHIPPING = "SHIPPING"
    TAX = "TAX"
    TOTAL = "TOTAL"


@dataclass(frozen=True)
class Change:
    """One component that differs: `subject` names it (a variant id, a voucher code, a
    seller id, `shipping` for the shipping tax rate, `total`), before and after in minor
    units (basis points for a tax rate), None where it was or is absent."""

    what: ChangeKind
    subject: str
    before: int | None
    after: int | None
    message: str


def changes_between(shown: QuoteComponents, now: QuoteComponents) -> list[Change]:
    """What differs between the quote shown and the quote now, in a stable order."""
    changes: list[Change] = []
    for variant in [*shown.lines, *(v for v in now.lines if v not in shown.lines)]:
        changes.extend(
            _line_changes(str(variant), shown.lines.get(variant), now.lines.get(variant))
        )
    for code in [*shown.vouchers, *(c for c in now.vouchers if c not in shown.vouchers)]:
        before, after = shown.vouchers.get(code), now.vouchers.get(code)
        if before != after:
            changes.append(
                Change(
                    ChangeKind.VOUCHER,
                    code,
                    before,
                    after,
                    f"Voucher {code}: {_was(before, after)}.",
                )
            )
    for seller in [*shown.parcels, *(s for s in now.parcels if s not in shown.parcels)]:
        was, now_parcel = shown.parcels.get(seller), now.parcels.get(seller)
        if was != now_parcel:
            changes.append(
                Change(
                    ChangeKind.SHIPPING,
                    str(seller),
                    None if was is None else was.price,
                    None if now_parcel is None else now_parcel.price,
                    f"Shipping of seller {seller}'s parcel: "
                    f"was {_parcel(was)}, now {_parcel(now_parcel)}.",
                )
            )
    if shown.shipping_tax_rate != now.shipping_tax_rate:
        changes.append(
            Change(
                ChangeKind.TAX,
                "shipping",
                shown.shipping_tax_rate,
                now.shipping_tax_rate,
                "Tax rate on shipping: "
                f"{_was_rate(shown.shipping_tax_rate, now.shipping_tax_rate)}.",
            )
        )
    if shown.tax != now.tax or shown.tax_included != now.tax_included:
        changes.append(
            Change(ChangeKind.TAX, "total", shown.tax, now.tax, f"Tax: {_was(shown.tax, now.tax)}.")
        )
    if shown.total != now.total or shown.currency != now.currency:
        changes.append(
            Change(
                ChangeKind.TOTAL,
                "total",
                shown.total,
                now.total,
                f"Total: {_was(shown.total, now.total)} ({now.currency}).",
            )
        )
    return changes


def _line_changes(subject: str, was: LineShown | None, now: LineShown | None) -> list[Change]:
    if was is None or now is None:
        before = None if was is None else was.unit_price
        after = None if now is None else now.unit_price
        what = "left the cart" if now is None else "joined the cart"
        return [Change(ChangeKind.LINE_PRICE, subject, before, after, f"Variant {subject} {what}.")]
    changes = []
    if was.list_unit_price != now.list_unit_price:
        changes.append(
            Change(
                ChangeKind.LINE_PRICE,
                subject,
                was.list_unit_price,
                now.list_unit_price,
                f"Price of variant {subject}: {_was(was.list_unit_price, now.list_unit_price)}.",
            )
        )
    elif was.unit_price != now.unit_price or was.promotion_name != now.promotion_name:
        changes.append(
            Change(
                ChangeKind.PROMOTION,
                subject,
                was.unit_price,
                now.unit_price,
                f"Promotion on variant {subject}: was {was.promotion_name or 'none'} at "
                f"{was.unit_price}, now {now.promotion_name or 'none'} at {now.unit_price}.",
            )
        )
    if was.tax_rate != now.tax_rate:
        changes.append(
            Change(
                ChangeKind.TAX,
                subject,
                was.tax_rate,
                now.tax_rate,
                f"Tax rate of variant {subject}: {_was_rate(was.tax_rate, now.tax_rate)}.",
            )
        )
    return changes


def _was(before: int | None, after: int | None) -> str:
    return f"was {'none' if before is None else before}, now {'none' if after is None else after}"


def _percent(basis_points: int | None) -> str:
    return "none" if basis_points is None else f"{basis_points / 100:.2f} %"


def _was_rate(before: int | None, after: int | None) -> str:
    """Basis points as people read them: 1900 -> '19.00 %'."""
    return f"was {_percent(before)}, now {_percent(after)}"


def _parcel(parcel: ParcelShown | None) -> str:
    return "none" if parcel is None else f"{parcel.method_name} at {parcel.price}"
