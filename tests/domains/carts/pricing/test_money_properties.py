"""The pricing engine's invariants over random carts: whatever the lines, promotions,
vouchers, shipping options and tax rates, the breakdown adds up to the cent, nothing is
negative, and refunding every line gives back exactly the total."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domains.carts.pricing.money import (
    CartItem,
    CheckoutPricing,
    DiscountKind,
    ShippingOption,
    TaxRates,
    VoucherNotApplicable,
    VoucherProblem,
    VoucherScope,
    VoucherTerms,
    allocate,
    allocate_discounts,
    check_voucher,
    price,
)

SELLERS = [uuid.UUID(int=0x5E11E0 + n) for n in range(3)]
CATEGORIES = [uuid.UUID(int=0xCA7E00 + n) for n in range(4)]
PRODUCTS = [uuid.UUID(int=0x9D0000 + n) for n in range(6)]

# No example database on disk (nothing to commit or ignore), and no deadline: the
# machine's load, not the engine, decides how long one example takes.
PROPERTIES = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Checkout:
    items: list[CartItem]
    vouchers: list[VoucherTerms]  # every one applicable after the ones before it
    refused: list[tuple[VoucherTerms, VoucherProblem]]  # each refused after `vouchers`
    shipping: dict[uuid.UUID, ShippingOption]
    rates: TaxRates


@st.composite
def cart_items(draw: st.DrawFn) -> list[CartItem]:
    sellers = SELLERS[: draw(st.integers(1, 3))]
    count = draw(st.integers(1, 8))
    items = []
    for index in range(count):
        list_price = draw(st.integers(0, 100_000))
        promoted = draw(st.booleans())
        items.append(
            CartItem(
                variant_id=uuid.UUID(int=index + 1),
                product_id=draw(st.sampled_from(PRODUCTS)),
                seller_id=draw(st.sampled_from(sellers)),
                category_ids=frozenset(draw(st.sets(st.sampled_from(CATEGORIES), max_size=3))),
                quantity=draw(st.integers(1, 20)),
                list_unit_price=list_price,
                unit_price=draw(st.integers(0, list_price)) if promoted else list_price,
                promotion_name=draw(st.sampled_from(["Summer", "Winter", None]))
                if promoted
                else None,
            )
        )
    return items


@st.composite
def voucher_terms(draw: st.DrawFn, code: str, sellers: list[uuid.UUID]) -> VoucherTerms:
    kind = draw(st.sampled_from(DiscountKind))
    scope = draw(st.sampled_from(VoucherScope))
    # Percentages up to 120 %: the engine never takes more than the goods.
    values = st.integers(0, 12_000) if kind is DiscountKind.PERCENTAGE else st.integers(0, 300_000)
    # Mostly a seller of the cart; sometimes one with no line in it.
    owners = st.sampled_from(sellers) | st.sampled_from(SELLERS)
    return VoucherTerms(
        code=code,
        name=f"Voucher {code}",
        kind=kind,
        value=draw(values),
        scope=scope,
        seller_id=draw(owners if scope is VoucherScope.SELLER else st.none() | owners),
        category_ids=frozenset(draw(st.sets(st.sampled_from(CATEGORIES), min_size=1, max_size=2))),
        product_ids=frozenset(draw(st.sets(st.sampled_from(PRODUCTS), min_size=1, max_size=3))),
        min_subtotal=draw(st.sampled_from([0, 0, 1000]) | st.integers(0, 500_000)),
        combinable=draw(st.booleans()),
    )


@st.composite
def shipping_options(draw: st.DrawFn) -> ShippingOption:
    return ShippingOption(
        method_id=draw(st.none() | st.just(uuid.UUID(int=0x3E))),
        name=draw(st.sampled_from(["Standard", "Express"])),
        price=draw(st.integers(0, 5_000)),
        free_above=draw(st.none() | st.integers(0, 300_000)),
        min_days=1,
        max_days=5,
    )


@st.composite
def checkouts(draw: st.DrawFn) -> Checkout:
    items = draw(cart_items())
    sellers = list(dict.fromkeys(item.seller_id for item in items))
    vouchers: list[VoucherTerms] = []
    refused: list[tuple[VoucherTerms, VoucherProblem]] = []
    for number in range(draw(st.integers(0, 3))):
        candidate = draw(voucher_terms(f"V{number}", sellers))
        problem = check_voucher(items, vouchers, candidate)
        if problem is None:
            vouchers.append(candidate)
        else:
            refused.append((candidate, problem))
    tax_included = draw(st.booleans())
    rates = TaxRates(
        tax_included=tax_included,
        line_rates={item.variant_id: draw(st.integers(0, 3_000)) for item in items},
        shipping_rate=draw(st.just(0) | st.integers(0, 3_000)),
    )
    return Checkout(
        items=items,
        vouchers=vouchers,
        refused=refused,
        shipping={seller: draw(shipping_options()) for seller in sellers},
        rates=rates,
    )


def priced(checkout: Checkout) -> CheckoutPricing:
    return price(checkout.items, checkout.vouchers, checkout.shipping, checkout.rates, "EUR")


@PROPERTIES
@given(checkouts())
def test_every_breakdown_adds_up_to_the_cent(checkout: Checkout) -> None:
    """One drawn checkout, every invariant (one test, so each cart is drawn once)."""
    pricing = priced(checkout)
    totals_add_up_and_nothing_is_negative(checkout, pricing)
    each_discount_is_allocated_over_the_lines_exactly(checkout, pricing)
    shipping_follows_the_chosen_option_and_its_threshold(checkout, pricing)
    refunding_every_line_one_by_one_gives_back_exactly_the_total(pricing)
    a_non_combinable_voucher_is_alone_and_off_promoted_lines(checkout)
    assert priced(checkout) == pricing  # deterministic


def totals_add_up_and_nothing_is_negative(checkout: Checkout, pricing: CheckoutPricing) -> None:
    tax_on_top = 0 if pricing.tax_included else pricing.tax
    assert pricing.total == pricing.subtotal - pricing.discount + pricing.shipping + tax_on_top
    assert pricing.subtotal == sum(i.list_unit_price * i.quantity for i in checkout.items)
    assert pricing.discount == sum(line.discount for line in pricing.lines)
    assert pricing.discount == sum(discount.amount for discount in pricing.discounts)
    assert pricing.shipping == sum(line.shipping for line in pricing.lines)
    assert pricing.shipping == sum(parcel.price for parcel in pricing.parcels)
    assert pricing.tax == sum(line.tax for line in pricing.lines)
    assert sum(parcel.tax for parcel in pricing.parcels) <= pricing.tax
    assert pricing.voucher_codes == [voucher.code for voucher in checkout.vouchers]
    assert [line.variant_id for line in pricing.lines] == [i.variant_id for i in checkout.items]

    amounts = [pricing.subtotal, pricing.discount, pricing.shipping, pricing.tax, pricing.total]
    amounts += [discount.amount for discount in pricing.discounts]
    amounts += [value for parcel in pricing.parcels for value in (parcel.price, parcel.tax)]
    for line in pricing.lines:
        goods = line.list_unit_price * line.quantity - line.discount
        assert line.total == goods + line.shipping + (0 if pricing.tax_included else line.tax)
        amounts += [goods, line.discount, line.shipping, line.tax, line.total]
    assert min(amounts) >= 0


def each_discount_is_allocated_over_the_lines_exactly(
    checkout: Checkout, pricing: CheckoutPricing
) -> None:
    allocations = allocate_discounts(checkout.items, checkout.vouchers)
    assert [allocation.discount for allocation in allocations] == pricing.discounts
    for allocation in allocations:
        assert sum(allocation.per_line) == allocation.discount.amount
        assert min(allocation.per_line) >= 0
    for index, line in enumerate(pricing.lines):
        assert sum(allocation.per_line[index] for allocation in allocations) == line.discount


def shipping_follows_the_chosen_option_and_its_threshold(
    checkout: Checkout, pricing: CheckoutPricing
) -> None:
    assert [parcel.seller_id for parcel in pricing.parcels] == list(checkout.shipping)
    for parcel in pricing.parcels:
        option = checkout.shipping[parcel.seller_id]
        lines = [line for line in pricing.lines if line.seller_id == parcel.seller_id]
        goods = sum(line.list_unit_price * line.quantity - line.discount for line in lines)
        free = option.free_above is not None and goods >= option.free_above
        assert parcel.price == (0 if free else option.price)
        assert sum(line.shipping for line in lines) == parcel.price
        assert (parcel.method_id, parcel.method_name) == (option.method_id, option.name)


def refunding_every_line_one_by_one_gives_back_exactly_the_total(pricing: CheckoutPricing) -> None:
    left_to_refund = pricing.total
    for line in pricing.lines:
        assert 0 <= line.total <= left_to_refund
        left_to_refund -= line.total
    assert left_to_refund == 0


def a_non_combinable_voucher_is_alone_and_off_promoted_lines(checkout: Checkout) -> None:
    if any(not voucher.combinable for voucher in checkout.vouchers):
        assert len(checkout.vouchers) == 1
        allocations = allocate_discounts(checkout.items, checkout.vouchers)
        for index, item in enumerate(checkout.items):
            if item.unit_price < item.list_unit_price:
                assert allocations[-1].per_line[index] == 0


@PROPERTIES
@given(checkouts())
def test_a_voucher_that_does_not_apply_is_refused_by_price(checkout: Checkout) -> None:
    for voucher, problem_when_drawn in checkout.refused:
        # Refused next to the vouchers drawn before it; next to all of them it may now
        # also be refused for not combining with one drawn after it.
        problem = check_voucher(checkout.items, checkout.vouchers, voucher)
        assert problem in (problem_when_drawn, VoucherProblem.NOT_COMBINABLE)
        assert problem is not None
        with pytest.raises(VoucherNotApplicable) as refusal:
            price(
                checkout.items, [*checkout.vouchers, voucher], checkout.shipping, checkout.rates,
                "EUR",
            )  # fmt: skip
        assert (refusal.value.code, refusal.value.problem) == (voucher.code, problem)


@PROPERTIES
@given(
    st.integers(0, 10_000_000),
    st.lists(st.integers(0, 1_000_000), min_size=1, max_size=10),
)
def test_allocate_sums_exactly_and_keeps_each_part_within_one_of_its_share(
    amount: int, weights: list[int]
) -> None:
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    assert len(parts) == len(weights)
    total = sum(weights)
    shares = weights if total else [1] * len(weights)
    total = total or len(weights)
    for part, weight in zip(parts, shares, strict=True):
        # |part - amount * weight / total| < 1, in integers.
        assert abs(part * total - amount * weight) < total
