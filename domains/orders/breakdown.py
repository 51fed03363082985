"""The price breakdown an order keeps: the checkout's quote checked against the pricing
contract before it is stored, the columns it fills, and its parcels.

A quote that does not add up is not stored: the order FAILS with PRICING_INVALID rather
than charging an amount nobody can explain (the service does that). The database's CHECKs
hold the totals too; these checks name what is wrong and cover what a CHECK cannot see
(sums over lines and parcels, the quote against the checkout's lines).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from domains.orders import events
from domains.orders.models import DiscountKind, Order, OrderLine, OrderParcel

PRICING_INVALID = "PRICING_INVALID"
DISCOUNT_KINDS = frozenset(kind.value for kind in DiscountKind)
METHOD_NAME_MAX = 200


def _charged_tax(pricing: events.CheckoutPricing, tax: int) -> int:
    """Inclusive tax is inside the prices already: shown, not added."""
    return 0 if pricing.tax_included else tax


def _line_problem(
    pricing: events.CheckoutPricing, line: events.PricedLine, asked: events.CheckoutLine
) -> str | None:
    where = f"line {line.variant_id}"
    amounts = {
        "list_unit_price": line.list_unit_price,
        "unit_price": line.unit_price,
        "discount": line.discount,
        "shipping": line.shipping,
        "tax": line.tax,
        "total": line.total,
    }
    for name, amount in amounts.items():
        if amount < 0:
            return f"{where}: {name} is negative ({amount})"
    if line.quantity != asked.quantity:
        return f"{where}: priced for {line.quantity}, checked out {asked.quantity}"
    if asked.expected_unit_price is not None and asked.expected_unit_price != line.unit_price:
        return f"{where}: priced at {line.unit_price}, checked out at {asked.expected_unit_price}"
    if asked.expected_currency is not None and asked.expected_currency != pricing.currency:
        return f"{where}: checked out in {asked.expected_currency}, priced in {pricing.currency}"
    if line.unit_price > line.list_unit_price:
        return f"{where}: unit_price {line.unit_price} above list_unit_price"
    goods = line.list_unit_price * line.quantity
    promotion = (line.list_unit_price - line.unit_price) * line.quantity
    if not promotion <= line.discount <= goods:
        return f"{where}: discount {line.discount} outside {promotion}..{goods}"
    expected = goods - line.discount + line.shipping + _charged_tax(pricing, line.tax)
    if line.total != expected:
        return f"{where}: total {line.total}, its amounts make {expected}"
    return None


def _parcel_problem(pricing: events.CheckoutPricing) -> str | None:
    sellers = [parcel.seller_id for parcel in pricing.parcels]
    if len(set(sellers)) != len(sellers):
        return "two parcels of one seller"
    if set(sellers) != {line.seller_id for line in pricing.lines}:
        return "the parcels' sellers are not the lines' sellers"
    for parcel in pricing.parcels:
        where = f"parcel of seller {parcel.seller_id}"
        if parcel.price < 0 or parcel.tax < 0:
            return f"{where}: a negative amount"
        if not 0 <= parcel.min_days <= parcel.max_days:
            return f"{where}: estimate {parcel.min_days}..{parcel.max_days} days"
        if not 1 <= len(parcel.method_name) <= METHOD_NAME_MAX:
            return f"{where}: method name of {len(parcel.method_name)} characters"
        its_lines = [line for line in pricing.lines if line.seller_id == parcel.seller_id]
        if sum(line.shipping for line in its_lines) != parcel.price:
            return f"{where}: its lines' shipping does not add up to {parcel.price}"
        if parcel.tax > sum(line.tax for line in its_lines):
            return f"{where}: shipping tax {parcel.tax} above its lines' tax"
    return None


def _sum_problem(name: str, stated: int, parts: Iterable[int], of: str) -> str | None:
    total = sum(parts)
    return None if stated == total else f"{name} {stated}, {of} make {total}"


def problem_with(
    pricing: events.CheckoutPricing, asked: Sequence[events.CheckoutLine]
) -> str | None:
    """The first way `pricing` breaks the contract's invariants or does not price exactly
    the lines checked out (`asked`); None when it holds."""
    if len(pricing.currency) != 3 or not pricing.currency.isalpha():
        return f"currency {pricing.currency!r} is not ISO 4217"
    priced = {line.variant_id: line for line in pricing.lines}
    asked_by_variant = {line.variant_id: line for line in asked}
    if len(priced) != len(pricing.lines) or priced.keys() != asked_by_variant.keys():
        return "the priced lines are not the lines checked out"
    for variant_id, line in priced.items():
        if problem := _line_problem(pricing, line, asked_by_variant[variant_id]):
            return problem
    for discount in pricing.discounts:
        if discount.kind not in DISCOUNT_KINDS or discount.amount < 0:
            return f"discount {discount.name!r}: kind {discount.kind}, amount {discount.amount}"
    if problem := _parcel_problem(pricing):
        return problem
    lines = pricing.lines
    checks = [
        ("subtotal", pricing.subtotal, [x.list_unit_price * x.quantity for x in lines], "lines"),
        ("discount", pricing.discount, [x.discount for x in lines], "the lines' discounts"),
        ("discount", pricing.discount, [x.amount for x in pricing.discounts], "the discounts"),
        ("shipping", pricing.shipping, [x.shipping for x in lines], "the lines' shipping"),
        ("shipping", pricing.shipping, [x.price for x in pricing.parcels], "the parcels"),
        ("tax", pricing.tax, [x.tax for x in lines], "the lines' tax"),
        ("total", pricing.total, [x.total for x in lines], "the lines' totals"),
    ]
    for name, stated, parts, of in checks:
        if problem := _sum_problem(name, stated, parts, of):
            return problem
    expected = (
        pricing.subtotal - pricing.discount + pricing.shipping + _charged_tax(pricing, pricing.tax)
    )
    if pricing.total != expected:
        return f"total {pricing.total}, the amounts make {expected}"
    return None


def order_amounts(pricing: events.CheckoutPricing) -> dict[str, Any]:
    """The order's columns the breakdown fills."""
    return {
        "currency": pricing.currency,
        "subtotal": pricing.subtotal,
        "discount": pricing.discount,
        "shipping": pricing.shipping,
        "tax": pricing.tax,
        "tax_included": pricing.tax_included,
        "total": pricing.total,
        "discounts": [
            {"kind": d.kind, "name": d.name, "code": d.code, "amount": d.amount}
            for d in pricing.discounts
        ],
    }


def _line_amounts(line: events.PricedLine | None) -> dict[str, Any]:
    """A line's columns the breakdown fills (none for a line not priced yet)."""
    if line is None:
        return {}
    return {
        "list_unit_price": line.list_unit_price,
        "unit_price": line.unit_price,
        "discount": line.discount,
        "shipping": line.shipping,
        "tax": line.tax,
        "total": line.total,
    }


def new_lines(
    order_id: uuid.UUID,
    asked: Sequence[events.CheckoutLine],
    quote: events.CheckoutPricing | None,
) -> list[OrderLine]:
    """The order's lines as checked out, with their share of `quote` when there is one."""
    priced = {} if quote is None else {line.variant_id: line for line in quote.lines}
    return [
        OrderLine(
            order_id=order_id,
            position=position,
            variant_id=line.variant_id,
            quantity=line.quantity,
            # Reserved at any other price than the quote's, the order fails PRICE_CHANGED.
            expected_unit_price=line.expected_unit_price
            if quote is None
            else priced[line.variant_id].unit_price,
            expected_currency=line.expected_currency if quote is None else quote.currency,
            **_line_amounts(priced.get(line.variant_id)),
        )
        for position, line in enumerate(asked)
    ]


def store(order: Order, lines: Sequence[OrderLine], pricing: events.CheckoutPricing) -> None:
    """Write `pricing` onto an order and its lines already stored."""
    for name, value in order_amounts(pricing).items():
        setattr(order, name, value)
    priced = {line.variant_id: line for line in pricing.lines}
    for line in lines:
        for name, value in _line_amounts(priced[line.variant_id]).items():
            setattr(line, name, value)


def parcels(
    order_id: uuid.UUID, pricing: events.CheckoutPricing, *, promised_estimate: bool = True
) -> list[OrderParcel]:
    """The order's parcels; without `promised_estimate` (the flat fallback) no delivery
    time is stored, as none was promised."""
    return [
        OrderParcel(
            order_id=order_id,
            seller_id=parcel.seller_id,
            method_id=parcel.method_id,
            method_name=parcel.method_name,
            price=parcel.price,
            tax=parcel.tax,
            min_days=parcel.min_days if promised_estimate else None,
            max_days=parcel.max_days if promised_estimate else None,
        )
        for parcel in pricing.parcels
    ]


def reserved_problem(lines: Sequence[OrderLine], stored: Sequence[OrderParcel]) -> str | None:
    """Whether the reservation's sellers still fit the parcels the quote made: each seller
    of a reserved line has the parcel whose price its lines' shipping shares add up to."""
    by_seller = {parcel.seller_id: parcel for parcel in stored}
    if {line.seller_id for line in lines} != by_seller.keys():
        return "the reserved lines' sellers are not the parcels' sellers"
    for seller_id, parcel in by_seller.items():
        shares = sum(line.shipping or 0 for line in lines if line.seller_id == seller_id)
        if shares != parcel.price:
            return (
                f"parcel of seller {seller_id}: {parcel.price}, its reserved lines' share {shares}"
            )
    return None


def ship_parcels(
    stored: Sequence[OrderParcel],
    lines: Sequence[OrderLine],
    *,
    at: datetime,
    tracking_number: str,
) -> None:
    """Every parcel whose seller's lines are now all fulfilled leaves: it keeps when, and
    the tracking number of the shipment that completed it."""
    for parcel in stored:
        its_lines = [line for line in lines if line.seller_id == parcel.seller_id]
        if (
            parcel.shipped_at is None
            and its_lines
            and all(line.fulfilled_at is not None for line in its_lines)
        ):
            parcel.shipped_at = at
            parcel.tracking_number = tracking_number


def method_of(stored: Sequence[OrderParcel], seller_id: uuid.UUID | None) -> str:
    """The shipping method the seller's parcel goes with ("" for an order without parcels)."""
    return next((parcel.method_name for parcel in stored if parcel.seller_id == seller_id), "")
