"""The pricing engine: a cart's lines, vouchers, shipping choices and tax rates in, the
checkout's whole breakdown (CheckoutPricing) out. Pure: no I/O, no clock, integers only.

The order of operations is the contract's (/pricing, section 3):

1. promotions: each line's (list_unit_price - unit_price) * quantity;
2. vouchers, in the order given, each on what is left of its eligible lines after the
   discounts before it, allocated over those lines in proportion to what is left;
3. shipping per seller parcel (free when the parcel's goods after discounts reach the
   option's free_above), allocated over the parcel's lines in proportion to their goods;
4. tax per line, on its goods after discounts and on its shipping share;
5. totals, each the exact sum of the lines' own, so refunding every line gives back the
   total to the cent.

The same inputs always give the same breakdown: lines keep the order given, discounts
are listed promotions first (by first appearance) then vouchers (in the order given).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from domains.carts.events import AppliedDiscount, CheckoutPricing, PricedLine, PricedParcel
from domains.carts.pricing.allocation import (
    BASIS_POINTS,
    allocate,
    round_half_up,
    tax_exclusive,
    tax_inclusive,
)

__all__ = [
    "AppliedDiscount",
    "CartItem",
    "CheckoutPricing",
    "DiscountAllocation",
    "DiscountKind",
    "PricedLine",
    "PricedParcel",
    "ShippingOption",
    "TaxRates",
    "VoucherNotApplicable",
    "VoucherProblem",
    "VoucherScope",
    "VoucherTerms",
    "allocate",
    "allocate_discounts",
    "check_voucher",
    "eligible_base",
    "price",
    "round_half_up",
]

PROMOTION = "PROMOTION"
VOUCHER = "VOUCHER"
# The name a promoted line shows when its producer gave the promotion no name.
UNNAMED_PROMOTION = "Promotion"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True)
class CartItem:
    """One cart line as the engine prices it (carts builds it from the line and its offer)."""

    variant_id: uuid.UUID
    product_id: uuid.UUID
    seller_id: uuid.UUID
    category_ids: frozenset[uuid.UUID]
    quantity: int
    list_unit_price: int  # before any promotion
    unit_price: int  # after the best active promotion; <= list_unit_price
    promotion_name: str | None

    def __post_init__(self) -> None:
        _require(self.quantity >= 1, f"quantity must be at least 1 ({self.variant_id})")
        _require(self.unit_price >= 0, f"unit_price must not be negative ({self.variant_id})")
        _require(
            self.unit_price <= self.list_unit_price,
            f"unit_price {self.unit_price} is above list_unit_price {self.list_unit_price} "
            f"({self.variant_id})",
        )

    @property
    def list_amount(self) -> int:
        return self.list_unit_price * self.quantity

    @property
    def promotion_discount(self) -> int:
        return (self.list_unit_price - self.unit_price) * self.quantity

    @property
    def on_promotion(self) -> bool:
        """A line is on promotion when a promotion lowers its price (a name alone is not)."""
        return self.unit_price < self.list_unit_price


class VoucherScope(StrEnum):
    ORDER = "ORDER"
    SELLER = "SELLER"
    CATEGORIES = "CATEGORIES"
    PRODUCTS = "PRODUCTS"


class DiscountKind(StrEnum):
    PERCENTAGE = "PERCENTAGE"
    FIXED = "FIXED"


@dataclass(frozen=True)
class VoucherTerms:
    """What a voucher gives and to which lines (carts builds it from its voucher row)."""

    code: str
    name: str
    kind: DiscountKind
    value: int  # basis points for PERCENTAGE, minor units for FIXED
    scope: VoucherScope
    seller_id: uuid.UUID | None  # SELLER scope, and any seller-owned voucher
    category_ids: frozenset[uuid.UUID]
    product_ids: frozenset[uuid.UUID]
    min_subtotal: int  # over the eligible lines, after promotions; 0 = none
    combinable: bool  # False: alone, and lines on promotion are not eligible

    def __post_init__(self) -> None:
        _require(self.value >= 0, f"voucher {self.code}: value must not be negative")
        _require(self.min_subtotal >= 0, f"voucher {self.code}: min_subtotal must not be negative")


@dataclass(frozen=True)
class ShippingOption:
    """One method's offer for one seller's parcel at one address."""

    method_id: uuid.UUID | None
    name: str
    price: int  # the rate for the zone
    free_above: int | None  # the parcel's goods after discounts >= this: free
    min_days: int
    max_days: int

    def __post_init__(self) -> None:
        _require(self.price >= 0, f"shipping {self.name}: price must not be negative")
        _require(
            self.free_above is None or self.free_above >= 0,
            f"shipping {self.name}: free_above must not be negative",
        )


@dataclass(frozen=True)
class TaxRates:
    """What a TaxProvider answered for one destination."""

    tax_included: bool  # prices already contain the tax (EU style)
    line_rates: Mapping[uuid.UUID, int]  # variant_id -> basis points; absent = untaxed
    shipping_rate: int  # basis points; 0 = shipping untaxed

    def __post_init__(self) -> None:
        _require(self.shipping_rate >= 0, "shipping_rate must not be negative")
        _require(
            all(rate >= 0 for rate in self.line_rates.values()), "tax rates must not be negative"
        )


class VoucherProblem(StrEnum):
    MINIMUM_NOT_MET = "MINIMUM_NOT_MET"
    NO_ELIGIBLE_LINE = "NO_ELIGIBLE_LINE"
    NOT_COMBINABLE = "NOT_COMBINABLE"


class VoucherNotApplicable(Exception):
    """A voucher that cannot apply to these lines, next to the vouchers before it."""

    def __init__(self, code: str, problem: VoucherProblem) -> None:
        super().__init__(f"voucher {code!r} does not apply: {problem.value}")
        self.code = code
        self.problem = problem


# --------------------------------------------------------------------------- vouchers


def _eligible(item: CartItem, voucher: VoucherTerms) -> bool:
    # A seller-owned voucher only ever touches its seller's lines, whatever its scope.
    if voucher.seller_id is not None and item.seller_id != voucher.seller_id:
        return False
    if not voucher.combinable and item.on_promotion:
        return False
    match voucher.scope:
        case VoucherScope.ORDER:
            return True
        case VoucherScope.SELLER:
            # A SELLER voucher without a seller is eligible nowhere (the check above
            # already kept it to its seller when it has one).
            return voucher.seller_id is not None
        case VoucherScope.CATEGORIES:
            return not item.category_ids.isdisjoint(voucher.category_ids)
        case VoucherScope.PRODUCTS:
            return item.product_id in voucher.product_ids


def _eligible_indexes(items: Sequence[CartItem], voucher: VoucherTerms) -> list[int]:
    return [index for index, item in enumerate(items) if _eligible(item, voucher)]


def eligible_base(items: Sequence[CartItem], voucher: VoucherTerms) -> int:
    """The goods the voucher can reach, after promotions: what its minimum is checked on."""
    return sum(
        items[index].unit_price * items[index].quantity
        for index in _eligible_indexes(items, voucher)
    )


def check_voucher(
    items: Sequence[CartItem], vouchers_already: Sequence[VoucherTerms], voucher: VoucherTerms
) -> VoucherProblem | None:
    """Why `voucher` cannot join `vouchers_already` on these lines, or None when it can.

    A voucher that is not combinable stands alone: it joins no other voucher, and none
    joins it. The same code twice counts as not combinable (with itself).
    """
    if vouchers_already and (
        not voucher.combinable
        or any(not other.combinable or other.code == voucher.code for other in vouchers_already)
    ):
        return VoucherProblem.NOT_COMBINABLE
    if not _eligible_indexes(items, voucher):
        return VoucherProblem.NO_ELIGIBLE_LINE
    if eligible_base(items, voucher) < voucher.min_subtotal:
        return VoucherProblem.MINIMUM_NOT_MET
    return None


def _voucher_amount(voucher: VoucherTerms, base: int) -> int:
    """What the voucher takes off `base`, never more than `base`."""
    if voucher.kind is DiscountKind.PERCENTAGE:
        return min(base, round_half_up(base * voucher.value, BASIS_POINTS))
    return min(base, voucher.value)


@dataclass(frozen=True)
class DiscountAllocation:
    """One discount of the order and its share on each line (0 where it does not apply)."""

    discount: AppliedDiscount
    per_line: list[int]


def allocate_discounts(
    items: Sequence[CartItem], vouchers: Sequence[VoucherTerms]
) -> list[DiscountAllocation]:
    """Steps 1 and 2: every discount of the order and how it falls on the lines.

    Raises VoucherNotApplicable for the first voucher (in the order given) that cannot
    apply after the ones before it.
    """
    allocations: list[DiscountAllocation] = []
    promotions: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if item.on_promotion:
            name = item.promotion_name or UNNAMED_PROMOTION
            per_line = promotions.setdefault(name, [0] * len(items))
            per_line[index] = item.promotion_discount
    for name, per_line in promotions.items():
        discount = AppliedDiscount(kind=PROMOTION, name=name, code=None, amount=sum(per_line))
        allocations.append(DiscountAllocation(discount, per_line))

    left = [item.unit_price * item.quantity for item in items]
    applied: list[VoucherTerms] = []
    for voucher in vouchers:
        problem = check_voucher(items, applied, voucher)
        if problem is not None:
            raise VoucherNotApplicable(voucher.code, problem)
        indexes = _eligible_indexes(items, voucher)
        amount = _voucher_amount(voucher, sum(left[index] for index in indexes))
        per_line = [0] * len(items)
        for index, part in zip(
            indexes, allocate(amount, [left[index] for index in indexes]), strict=True
        ):
            per_line[index] = part
            left[index] -= part
        discount = AppliedDiscount(
            kind=VOUCHER, name=voucher.name, code=voucher.code, amount=amount
        )
        allocations.append(DiscountAllocation(discount, per_line))
        applied.append(voucher)
    return allocations


# --------------------------------------------------------------------------- the breakdown


def price(
    items: Sequence[CartItem],
    vouchers: Sequence[VoucherTerms],
    shipping_choices: Mapping[uuid.UUID, ShippingOption],
    rates: TaxRates,
    currency: str,
) -> CheckoutPricing:
    """The checkout's whole breakdown; see the module's docstring for the order of steps.

    `shipping_choices` holds the chosen option of every seller with lines (others are
    ignored); a variant missing from `rates.line_rates` is untaxed.
    """
    allocations = allocate_discounts(items, vouchers)
    line_discounts = [
        sum(allocation.per_line[index] for allocation in allocations) for index in range(len(items))
    ]
    goods = [item.list_amount - line_discounts[index] for index, item in enumerate(items)]

    sellers = list(dict.fromkeys(item.seller_id for item in items))
    missing = [seller for seller in sellers if seller not in shipping_choices]
    if missing:
        raise ValueError(f"no shipping option chosen for seller(s) {', '.join(map(str, missing))}")

    tax_of = tax_inclusive if rates.tax_included else tax_exclusive
    line_shipping = [0] * len(items)
    shipping_tax = [0] * len(items)
    parcels: list[PricedParcel] = []
    for seller in sellers:
        option = shipping_choices[seller]
        indexes = [index for index, item in enumerate(items) if item.seller_id == seller]
        parcel_goods = sum(goods[index] for index in indexes)
        free = option.free_above is not None and parcel_goods >= option.free_above
        parcel_price = 0 if free else option.price
        shares = allocate(parcel_price, [goods[index] for index in indexes])
        for index, share in zip(indexes, shares, strict=True):
            line_shipping[index] = share
            shipping_tax[index] = tax_of(share, rates.shipping_rate)
        parcels.append(
            PricedParcel(
                seller_id=seller,
                method_id=option.method_id,
                method_name=option.name,
                price=parcel_price,
                tax=sum(shipping_tax[index] for index in indexes),
                min_days=option.min_days,
                max_days=option.max_days,
            )
        )

    lines: list[PricedLine] = []
    for index, item in enumerate(items):
        tax = tax_of(goods[index], rates.line_rates.get(item.variant_id, 0)) + shipping_tax[index]
        lines.append(
            PricedLine(
                variant_id=item.variant_id,
                seller_id=item.seller_id,
                list_unit_price=item.list_unit_price,
                unit_price=item.unit_price,
                quantity=item.quantity,
                discount=line_discounts[index],
                shipping=line_shipping[index],
                tax=tax,
                total=goods[index] + line_shipping[index] + (0 if rates.tax_included else tax),
            )
        )

    return CheckoutPricing(
        currency=currency,
        tax_included=rates.tax_included,
        subtotal=sum(item.list_amount for item in items),
        discount=sum(line.discount for line in lines),
        shipping=sum(parcel.price for parcel in parcels),
        tax=sum(line.tax for line in lines),
        total=sum(line.total for line in lines),
        discounts=[allocation.discount for allocation in allocations],
        parcels=parcels,
        lines=lines,
        voucher_codes=[voucher.code for voucher in vouchers],
    )
