"""Vouchers on carts and orders: applying a code to an open cart, the terms the quote
prices with, and the redemption ledger a checkout reserves in and an order settles.

A use of a voucher is reserved in the checkout's own transaction (`reserve`): one
conditional UPDATE per voucher, in code order, holds the use only while one is left, so
the usage limit is exact however many checkouts race, and a refused checkout rolls the
hold back with everything else. The order's fate settles it (`settle`): paid commits the
use, failed or cancelled gives it back.

Every refusal is an InputErrors with a VOUCHER_* code and a message naming the code.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.errors import CartErrorCode
from domains.carts.models import Cart
from domains.carts.pricing.items import split_items
from domains.carts.pricing.money import (
    CartItem,
    DiscountKind,
    VoucherProblem,
    VoucherScope,
    VoucherTerms,
    check_voucher,
    eligible_base,
)
from domains.carts.pricing.vouchers.models import MAX_CODE_LENGTH, Voucher
from domains.carts.pricing.vouchers.repository import (
    AppliedCode,
    cart_voucher_repository,
    redemption_repository,
    voucher_repository,
)
from domains.carts.repository import cart_repository, line_repository, offer_repository
from domains.carts.service import carts
from domains.kit.auth import Viewer
from domains.kit.errors import InputErrors, quoted

Code = CartErrorCode

# Order statuses (the orders domain's) that settle a redemption.
PAID = "PAID"
RELEASING_STATUSES = frozenset({"FAILED", "CANCELLED"})


def _now() -> datetime:
    return datetime.now(UTC)


def normalize_code(raw: str) -> str:
    """A code as stored: trimmed, upper-case (codes match case-insensitively)."""
    return raw.strip().upper()


def terms_of(voucher: Voucher) -> VoucherTerms:
    """The voucher as the pricing engine applies it."""
    return VoucherTerms(
        code=voucher.code,
        name=voucher.name,
        kind=DiscountKind(voucher.kind),
        value=voucher.value,
        scope=VoucherScope(voucher.scope),
        seller_id=voucher.seller_id,
        category_ids=frozenset(voucher.category_ids),
        product_ids=frozenset(voucher.product_ids),
        min_subtotal=voucher.min_subtotal,
        combinable=voucher.combinable,
    )


@dataclass(frozen=True)
class VoucherRefusal:
    """Why a voucher cannot be used: a VOUCHER_* code and a message naming the voucher."""

    code: CartErrorCode
    message: str

    def error(self, field: str) -> InputErrors:
        return InputErrors.single(field, self.code, self.message)


def standing(voucher: Voucher, now: datetime, *, count_uses: bool = True) -> VoucherRefusal | None:
    """Why the voucher cannot be used at `now` whatever the cart holds: ended, past its
    end, not started, or (with `count_uses`) every use held."""
    code = voucher.code
    if voucher.ended_at is not None:
        return VoucherRefusal(Code.VOUCHER_EXPIRED, f"The voucher {code} has ended.")
    if voucher.ends_at is not None and voucher.ends_at <= now:
        return VoucherRefusal(
            Code.VOUCHER_EXPIRED,
            f"The voucher {code} expired at {voucher.ends_at.isoformat()}.",
        )
    if voucher.starts_at is not None and voucher.starts_at > now:
        return VoucherRefusal(
            Code.VOUCHER_NOT_YET_VALID,
            f"The voucher {code} is valid from {voucher.starts_at.isoformat()}.",
        )
    if count_uses and voucher.usage_limit is not None and voucher.uses_held >= voucher.usage_limit:
        return VoucherRefusal(Code.VOUCHER_USED_UP, _used_up(code))
    return None


def _used_up(code: str) -> str:
    return f"The voucher {code} has been used up."


def problem_refusal(
    problem: VoucherProblem,
    voucher: VoucherTerms,
    items: Sequence[CartItem],
    others: Sequence[VoucherTerms],
    currency: str | None,
) -> VoucherRefusal:
    """The engine's reason a voucher does not apply to the lines, in the shopper's words."""
    code = voucher.code
    if problem is VoucherProblem.NOT_COMBINABLE:
        with_what = ", ".join(other.code for other in others)
        alone = "" if voucher.combinable else " (it combines with no other voucher)"
        return VoucherRefusal(
            Code.VOUCHER_NOT_COMBINABLE,
            f"The voucher {code} cannot be combined with {with_what}{alone}.",
        )
    if problem is VoucherProblem.NO_ELIGIBLE_LINE:
        promotions = "" if voucher.combinable else " (it does not apply to lines on promotion)"
        return VoucherRefusal(
            Code.VOUCHER_NO_ELIGIBLE_LINE,
            f"The voucher {code} applies to none of this cart's lines{promotions}.",
        )
    unit = f" {currency}" if currency else ""
    return VoucherRefusal(
        Code.VOUCHER_MINIMUM_NOT_MET,
        f"The voucher {code} needs eligible goods of at least {voucher.min_subtotal}{unit} "
        f"(minor units); this cart has {eligible_base(items, voucher)}.",
    )


def _currency_refusal(voucher: Voucher, currency: str | None) -> VoucherRefusal | None:
    if voucher.currency is None or currency is None or voucher.currency == currency:
        return None
    return VoucherRefusal(
        Code.VOUCHER_CURRENCY_MISMATCH,
        f"The voucher {voucher.code} is in {voucher.currency}; this cart is in {currency}.",
    )


def _check_lines(
    vouchers: Sequence[Voucher], items: Sequence[CartItem], currency: str | None, field: str
) -> list[VoucherTerms]:
    """Each voucher's terms, in order, each checked against the lines after those before
    it; the first that cannot apply raises its refusal."""
    applied: list[VoucherTerms] = []
    for voucher in vouchers:
        terms = terms_of(voucher)
        if refusal := _currency_refusal(voucher, currency):
            raise refusal.error(field)
        if problem := check_voucher(items, applied, terms):
            raise problem_refusal(problem, terms, items, applied, currency).error(field)
        applied.append(terms)
    return applied


# --------------------------------------------------------------------------- carts


async def _cart_items(session: AsyncSession, cart: Cart) -> list[CartItem]:
    """The cart's lines that can be priced (a line carts knows too little of reaches no
    voucher: it cannot meet a minimum or be eligible)."""
    lines = await line_repository.for_carts(session, [cart.id])
    offers = await offer_repository.get_many(session, [line.variant_id for line in lines])
    return split_items(lines, offers).items


async def apply(
    session: AsyncSession,
    viewer: Viewer,
    cart_id: uuid.UUID,
    raw_code: str,
    *,
    now: datetime | None = None,
) -> Cart:
    """Apply a code to an open cart, after those applied already; refused (nothing
    written) with the cause, checked against the cart's lines as they are now."""
    now = now or _now()
    cart = await carts.get_open_for_change(session, viewer, cart_id)
    code = normalize_code(raw_code)
    voucher = (
        await voucher_repository.get_by_code(session, code)
        if 0 < len(code) <= MAX_CODE_LENGTH
        else None
    )
    if voucher is None:
        raise InputErrors.single(
            "code", Code.VOUCHER_UNKNOWN, f"No voucher has the code {quoted(raw_code.strip())}."
        )
    applied = await cart_voucher_repository.vouchers_of_cart(session, cart.id)
    if any(other.id == voucher.id for other in applied):
        raise InputErrors.single(
            "code",
            Code.VOUCHER_ALREADY_APPLIED,
            f"The voucher {voucher.code} is applied to this cart already.",
        )
    if refusal := standing(voucher, now):
        raise refusal.error("code")
    if voucher.per_customer_limit is not None:
        await _check_customer_uses(session, voucher, cart.customer_id, "code")
    items = await _cart_items(session, cart)
    _check_lines([*applied, voucher], items, cart.currency, "code")
    await cart_voucher_repository.add(session, cart.id, voucher.id)
    await cart_repository.touch(session, cart)
    return cart


async def _check_customer_uses(
    session: AsyncSession, voucher: Voucher, customer_id: uuid.UUID | None, field: str
) -> None:
    limit = voucher.per_customer_limit
    if limit is None:
        return
    if customer_id is None:
        raise InputErrors.single(
            field,
            Code.VOUCHER_SIGN_IN_REQUIRED,
            f"The voucher {voucher.code} is limited per customer: sign in to use it.",
        )
    held = await redemption_repository.count_held_by_customer(session, voucher.id, customer_id)
    if held >= limit:
        times = "once" if limit == 1 else f"{limit} times"
        raise InputErrors.single(
            field,
            Code.VOUCHER_ALREADY_USED,
            f"The voucher {voucher.code} can be used {times} per customer, and you have.",
        )


async def remove(session: AsyncSession, viewer: Viewer, cart_id: uuid.UUID, raw_code: str) -> Cart:
    """Take a code off an open cart."""
    cart = await carts.get_open_for_change(session, viewer, cart_id)
    code = normalize_code(raw_code)
    applied = await cart_voucher_repository.vouchers_of_cart(session, cart.id)
    voucher = next((other for other in applied if other.code == code), None)
    if voucher is None:
        raise InputErrors.single(
            "code",
            Code.VOUCHER_NOT_APPLIED,
            f"The voucher {quoted(raw_code.strip())} is not applied to this cart.",
        )
    await cart_voucher_repository.remove(session, cart.id, voucher.id)
    await cart_repository.touch(session, cart)
    return cart


async def applied_to_carts(
    session: AsyncSession, cart_ids: Sequence[uuid.UUID]
) -> list[AppliedCode]:
    """The codes applied to each cart, in order (Cart.vouchers' dataloader)."""
    return await cart_voucher_repository.applied_to_carts(session, cart_ids)


# --------------------------------------------------------------------------- quote


@dataclass(frozen=True)
class AppliedVoucherTerms:
    """A voucher applied to a cart: its engine terms, and whether it can be used now.

    `refusal` says why not when it has ended, is past its end, has not started or is used
    up; the lines are the quote's to check (the engine's check_voucher). `currency` is
    the one its FIXED value and minimum are in (None: any).
    """

    voucher_id: uuid.UUID
    terms: VoucherTerms
    currency: str | None
    refusal: VoucherRefusal | None

    @property
    def valid(self) -> bool:
        return self.refusal is None


async def terms_for_cart(
    session: AsyncSession, cart_id: uuid.UUID, *, now: datetime
) -> list[AppliedVoucherTerms]:
    """The vouchers applied to the cart, in the order they apply."""
    vouchers = await cart_voucher_repository.vouchers_of_cart(session, cart_id)
    return [
        AppliedVoucherTerms(
            voucher_id=voucher.id,
            terms=terms_of(voucher),
            currency=voucher.currency,
            refusal=standing(voucher, now),
        )
        for voucher in vouchers
    ]


# --------------------------------------------------------------------------- ledger


async def reserve(
    session: AsyncSession,
    *,
    cart_id: uuid.UUID,
    customer_id: uuid.UUID,
    checkout_id: uuid.UUID,
    order_id: uuid.UUID,
    items: Sequence[CartItem],
    now: datetime,
    currency: str | None = None,
) -> list[VoucherTerms]:
    """Hold one use of every voucher applied to the cart for this order: the terms to
    price the order with, in the order they apply.

    Called in the checkout's transaction. Each voucher is checked first (dates, the lines
    `items`, the cart's `currency` when given), then held in code order (the same lock
    order for every checkout: no deadlock) by the conditional UPDATE, which refuses once
    the limit is reached; the per-customer limit is counted after that row lock, so two
    checkouts of one customer cannot both pass it. Any refusal raises InputErrors naming
    `cartId` and the voucher; the caller's rollback undoes the holds taken before it.
    """
    vouchers = await cart_voucher_repository.vouchers_of_cart(session, cart_id)
    if not vouchers:
        return []
    for voucher in vouchers:
        if refusal := standing(voucher, now, count_uses=False):
            raise refusal.error("cartId")
    _check_lines(vouchers, items, currency, "cartId")
    for voucher in sorted(vouchers, key=lambda voucher: voucher.code):
        held = await voucher_repository.take_use(session, voucher.id)
        if held is None:
            # No use left, or ended meanwhile (the UPDATE skips an ended voucher).
            fresh = await voucher_repository.get(session, voucher.id)
            if fresh is not None and (refusal := standing(fresh, now, count_uses=False)):
                raise refusal.error("cartId")
            raise InputErrors.single("cartId", Code.VOUCHER_USED_UP, _used_up(voucher.code))
        # The locked row is the truth: dates or the per-customer limit may have changed
        # since the first read.
        if refusal := standing(held, now, count_uses=False):
            raise refusal.error("cartId")
        await _check_customer_uses(session, held, customer_id, "cartId")
    # Terms as locked, checked once more against the lines.
    terms = _check_lines(vouchers, items, currency, "cartId")
    await redemption_repository.add_reserved(
        session,
        voucher_ids=[voucher.id for voucher in vouchers],
        checkout_id=checkout_id,
        order_id=order_id,
        customer_id=customer_id,
    )
    return terms


async def settle(session: AsyncSession, order_id: uuid.UUID, order_status: str) -> None:
    """Follow the order's fate: PAID commits its reserved uses; FAILED or CANCELLED
    releases every use not released yet and gives it back to its voucher. Other statuses
    change nothing. Idempotent: a replayed status finds nothing left to move."""
    if order_status == PAID:
        await redemption_repository.commit_reserved(session, order_id)
    elif order_status in RELEASING_STATUSES:
        released = await redemption_repository.release(session, order_id)
        if released:
            await voucher_repository.give_back_uses(session, released)
