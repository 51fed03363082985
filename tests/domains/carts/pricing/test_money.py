"""The pricing engine on carts worked out by hand: vouchers of every kind and scope,
their refusals, free shipping, EU and US tax, and the largest-remainder split."""

from __future__ import annotations

import uuid

import pytest

from domains.carts.pricing.money import (
    AppliedDiscount,
    CartItem,
    DiscountKind,
    PricedLine,
    PricedParcel,
    ShippingOption,
    TaxRates,
    VoucherNotApplicable,
    VoucherProblem,
    VoucherScope,
    VoucherTerms,
    allocate,
    check_voucher,
    eligible_base,
    price,
    round_half_up,
)

SELLER_1 = uuid.UUID(int=0x51)
SELLER_2 = uuid.UUID(int=0x52)
CATEGORY_1 = uuid.UUID(int=0xC1)
CATEGORY_2 = uuid.UUID(int=0xC2)
CATEGORY_3 = uuid.UUID(int=0xC3)
METHOD = uuid.UUID(int=0x3E)

NO_TAX = TaxRates(tax_included=False, line_rates={}, shipping_rate=0)


def item(
    number: int,
    quantity: int,
    unit_price: int,
    *,
    seller: uuid.UUID = SELLER_1,
    list_unit_price: int | None = None,
    promotion: str | None = None,
    categories: frozenset[uuid.UUID] = frozenset(),
) -> CartItem:
    """Line `number`: variant uuid(number), product uuid(1000 + number)."""
    return CartItem(
        variant_id=uuid.UUID(int=number),
        product_id=uuid.UUID(int=1000 + number),
        seller_id=seller,
        category_ids=categories,
        quantity=quantity,
        list_unit_price=unit_price if list_unit_price is None else list_unit_price,
        unit_price=unit_price,
        promotion_name=promotion,
    )


def voucher(
    code: str,
    kind: DiscountKind,
    value: int,
    *,
    scope: VoucherScope = VoucherScope.ORDER,
    seller: uuid.UUID | None = None,
    categories: frozenset[uuid.UUID] = frozenset(),
    products: frozenset[uuid.UUID] = frozenset(),
    min_subtotal: int = 0,
    combinable: bool = True,
) -> VoucherTerms:
    return VoucherTerms(
        code=code,
        name=f"{code} voucher",
        kind=kind,
        value=value,
        scope=scope,
        seller_id=seller,
        category_ids=categories,
        product_ids=products,
        min_subtotal=min_subtotal,
        combinable=combinable,
    )


def shipping(price: int, free_above: int | None = None) -> ShippingOption:
    return ShippingOption(
        method_id=METHOD, name="Standard", price=price, free_above=free_above, min_days=2,
        max_days=4,
    )  # fmt: skip


def flat(price_: int = 500, *sellers: uuid.UUID) -> dict[uuid.UUID, ShippingOption]:
    return {seller: shipping(price_) for seller in (sellers or (SELLER_1, SELLER_2))}


def line_discounts(items: list[CartItem], vouchers: list[VoucherTerms]) -> list[int]:
    pricing = price(items, vouchers, flat(0), NO_TAX, "USD")
    return [line.discount for line in pricing.lines]


# --------------------------------------------------------------------------- vouchers


def test_percentage_voucher_on_the_order_splits_by_what_each_line_costs() -> None:
    items = [item(1, 2, 1999), item(2, 1, 4999)]
    pricing = price(
        items, [voucher("TEN", DiscountKind.PERCENTAGE, 1000)], flat(500), NO_TAX, "USD"
    )

    # 10 % of 8997 = 899.7 -> 900; over [3998, 4999]: 399.93 and 500.07, the unit left
    # over goes to the larger remainder (the first line).
    assert pricing.discounts == [
        AppliedDiscount(kind="VOUCHER", name="TEN voucher", code="TEN", amount=900)
    ]
    # Shipping 500 over what is left [3598, 4499]: 222.18 and 277.82 -> [222, 278].
    assert pricing.lines == [
        PricedLine(
            variant_id=uuid.UUID(int=1), seller_id=SELLER_1, list_unit_price=1999,
            unit_price=1999, quantity=2, discount=400, shipping=222, tax=0, total=3820,
        ),
        PricedLine(
            variant_id=uuid.UUID(int=2), seller_id=SELLER_1, list_unit_price=4999,
            unit_price=4999, quantity=1, discount=500, shipping=278, tax=0, total=4777,
        ),
    ]  # fmt: skip
    assert pricing.parcels == [
        PricedParcel(
            seller_id=SELLER_1, method_id=METHOD, method_name="Standard", price=500, tax=0,
            min_days=2, max_days=4,
        )
    ]  # fmt: skip
    assert (pricing.subtotal, pricing.discount, pricing.shipping, pricing.tax) == (
        8997,
        900,
        500,
        0,
    )
    assert pricing.total == 8597
    assert pricing.voucher_codes == ["TEN"]
    assert pricing.currency == "USD"


def test_percentage_rounds_half_up() -> None:
    # 10 % of 1005 is 100.5: half up gives 101 (banker's rounding would give 100).
    assert line_discounts([item(1, 1, 1005)], [voucher("TEN", DiscountKind.PERCENTAGE, 1000)]) == [
        101
    ]
    assert [round_half_up(n, 10) for n in (4, 5, 15, 25, 26)] == [0, 1, 2, 3, 3]


def test_fixed_voucher_takes_its_value_and_never_more_than_the_goods() -> None:
    items = [item(1, 3, 1500)]
    assert line_discounts(items, [voucher("OFF10", DiscountKind.FIXED, 1000)]) == [1000]

    # 5000 off goods of 4500: the goods go to 0, shipping is still charged.
    pricing = price(items, [voucher("OFF50", DiscountKind.FIXED, 5000)], flat(500), NO_TAX, "USD")
    assert pricing.discounts[0].amount == 4500
    assert (pricing.discount, pricing.shipping, pricing.total) == (4500, 500, 500)
    assert pricing.lines[0].total == 500


def test_vouchers_apply_in_order_each_on_what_the_ones_before_left() -> None:
    items = [item(1, 1, 3000), item(2, 1, 1000)]
    vouchers = [
        voucher("TEN", DiscountKind.PERCENTAGE, 1000),  # 400: [300, 100] -> left [2700, 900]
        voucher("FIVE", DiscountKind.FIXED, 500),  # over [2700, 900]: [375, 125]
    ]
    pricing = price(items, vouchers, flat(0), NO_TAX, "USD")
    assert [d.amount for d in pricing.discounts] == [400, 500]
    assert [line.discount for line in pricing.lines] == [675, 225]
    assert pricing.total == 3100


def test_seller_scope_voucher_touches_only_its_sellers_lines() -> None:
    items = [item(1, 1, 3000, seller=SELLER_1), item(2, 1, 2000, seller=SELLER_2)]
    quarter = voucher(
        "S2", DiscountKind.PERCENTAGE, 2500, scope=VoucherScope.SELLER, seller=SELLER_2
    )
    assert eligible_base(items, quarter) == 2000
    assert line_discounts(items, [quarter]) == [0, 500]


def test_a_seller_owned_voucher_stays_on_its_sellers_lines_whatever_its_scope() -> None:
    items = [
        item(1, 1, 3000, seller=SELLER_1, categories=frozenset({CATEGORY_1})),
        item(2, 1, 2000, seller=SELLER_2, categories=frozenset({CATEGORY_1})),
    ]
    order_wide = voucher("S1", DiscountKind.FIXED, 700, seller=SELLER_1)
    assert line_discounts(items, [order_wide]) == [700, 0]
    by_category = voucher(
        "S1CAT", DiscountKind.FIXED, 700, scope=VoucherScope.CATEGORIES, seller=SELLER_1,
        categories=frozenset({CATEGORY_1}),
    )  # fmt: skip
    assert line_discounts(items, [by_category]) == [700, 0]
    # A SELLER voucher that names no seller reaches no line.
    unowned = voucher("NOBODY", DiscountKind.FIXED, 100, scope=VoucherScope.SELLER)
    assert check_voucher(items, [], unowned) is VoucherProblem.NO_ELIGIBLE_LINE


def test_category_scope_voucher_reaches_lines_in_any_of_its_categories() -> None:
    items = [
        item(1, 1, 1000, categories=frozenset({CATEGORY_1})),
        item(2, 1, 2000, categories=frozenset({CATEGORY_2})),
        item(3, 2, 750, categories=frozenset({CATEGORY_1, CATEGORY_3})),
    ]
    fifth = voucher(
        "C1", DiscountKind.PERCENTAGE, 2000, scope=VoucherScope.CATEGORIES,
        categories=frozenset({CATEGORY_1}),
    )  # fmt: skip
    # 20 % of 1000 + 1500 = 500, split [200, 300].
    assert eligible_base(items, fifth) == 2500
    assert line_discounts(items, [fifth]) == [200, 0, 300]


def test_product_scope_voucher_reaches_only_its_products() -> None:
    items = [item(1, 1, 1000), item(2, 2, 800)]
    only_2 = voucher(
        "P2", DiscountKind.FIXED, 300, scope=VoucherScope.PRODUCTS,
        products=frozenset({uuid.UUID(int=1002)}),
    )  # fmt: skip
    assert line_discounts(items, [only_2]) == [0, 300]


def test_promotions_are_listed_by_name_in_order_of_first_appearance() -> None:
    items = [
        item(1, 1, 1500, list_unit_price=2000, promotion="Summer"),
        item(2, 2, 900, list_unit_price=1000, promotion="Spring"),
        item(3, 1, 700, list_unit_price=1000, promotion="Summer"),
        item(4, 1, 1000, promotion="Named but not lower"),
    ]
    pricing = price(items, [], flat(0), NO_TAX, "USD")
    assert pricing.discounts == [
        AppliedDiscount(kind="PROMOTION", name="Summer", code=None, amount=800),
        AppliedDiscount(kind="PROMOTION", name="Spring", code=None, amount=200),
    ]
    assert [line.discount for line in pricing.lines] == [500, 200, 300, 0]
    assert (pricing.subtotal, pricing.discount, pricing.total) == (6000, 1000, 5000)


def test_non_combinable_voucher_stands_alone() -> None:
    items = [item(1, 1, 3000)]
    alone = voucher("ALONE", DiscountKind.PERCENTAGE, 1000, combinable=False)
    other = voucher("OTHER", DiscountKind.FIXED, 100)
    assert check_voucher(items, [other], alone) is VoucherProblem.NOT_COMBINABLE
    assert check_voucher(items, [alone], other) is VoucherProblem.NOT_COMBINABLE
    assert check_voucher(items, [], alone) is None
    # The same code twice does not combine with itself.
    assert check_voucher(items, [other], other) is VoucherProblem.NOT_COMBINABLE

    with pytest.raises(VoucherNotApplicable) as refused:
        price(items, [other, alone], flat(), NO_TAX, "USD")
    assert (refused.value.code, refused.value.problem) == ("ALONE", VoucherProblem.NOT_COMBINABLE)
    assert "ALONE" in str(refused.value)


def test_non_combinable_voucher_skips_lines_on_promotion() -> None:
    items = [item(1, 1, 1500, list_unit_price=2000, promotion="Summer"), item(2, 1, 1000)]
    alone = voucher("ALONE", DiscountKind.PERCENTAGE, 1000, combinable=False)
    assert eligible_base(items, alone) == 1000
    pricing = price(items, [alone], flat(0), NO_TAX, "USD")
    assert [d.amount for d in pricing.discounts] == [500, 100]
    assert [line.discount for line in pricing.lines] == [500, 100]

    every_line_promoted = [items[0]]
    assert check_voucher(every_line_promoted, [], alone) is VoucherProblem.NO_ELIGIBLE_LINE


def test_minimum_is_checked_on_eligible_lines_after_promotions() -> None:
    # Listed at 6000, sold at 4999: a 5000 minimum is not met.
    items = [
        item(1, 1, 4999, list_unit_price=6000, promotion="Sale"),
        item(2, 1, 9000, seller=SELLER_2),
    ]
    minimum = voucher("MIN", DiscountKind.FIXED, 500, seller=SELLER_1, min_subtotal=5000)
    assert check_voucher(items, [], minimum) is VoucherProblem.MINIMUM_NOT_MET
    with pytest.raises(VoucherNotApplicable) as refused:
        price(items, [minimum], flat(), NO_TAX, "USD")
    assert refused.value.problem is VoucherProblem.MINIMUM_NOT_MET

    met = voucher("MIN", DiscountKind.FIXED, 500, seller=SELLER_1, min_subtotal=4999)
    assert check_voucher(items, [], met) is None


def test_voucher_without_an_eligible_line_is_refused() -> None:
    items = [item(1, 1, 1000)]
    elsewhere = voucher(
        "ELSEWHERE", DiscountKind.FIXED, 100, scope=VoucherScope.PRODUCTS,
        products=frozenset({uuid.uuid4()}),
    )  # fmt: skip
    assert eligible_base(items, elsewhere) == 0
    assert check_voucher(items, [], elsewhere) is VoucherProblem.NO_ELIGIBLE_LINE
    with pytest.raises(VoucherNotApplicable) as refused:
        price(items, [elsewhere], flat(), NO_TAX, "USD")
    assert (refused.value.code, refused.value.problem) == (
        "ELSEWHERE",
        VoucherProblem.NO_ELIGIBLE_LINE,
    )


# --------------------------------------------------------------------------- shipping


def test_shipping_is_free_when_the_parcels_goods_after_discounts_reach_the_threshold() -> None:
    choices = {SELLER_1: shipping(700, free_above=5000), SELLER_2: shipping(400, free_above=5000)}
    items = [item(1, 1, 5000, seller=SELLER_1), item(2, 1, 4999, seller=SELLER_2)]
    pricing = price(items, [], choices, NO_TAX, "USD")
    assert [parcel.price for parcel in pricing.parcels] == [0, 400]
    assert [line.shipping for line in pricing.lines] == [0, 400]
    assert (pricing.shipping, pricing.total) == (400, 10399)

    # A voucher taking seller 1's parcel below the threshold brings its shipping back.
    off = voucher("OFF", DiscountKind.FIXED, 300, seller=SELLER_1)
    pricing = price(items, [off], choices, NO_TAX, "USD")
    assert [parcel.price for parcel in pricing.parcels] == [700, 400]
    assert pricing.total == 4700 + 700 + 4999 + 400


def test_a_missing_shipping_choice_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=str(SELLER_2)):
        price([item(1, 1, 100, seller=SELLER_2)], [], {SELLER_1: shipping(1)}, NO_TAX, "USD")


# --------------------------------------------------------------------------- tax


def test_eu_inclusive_vat_is_extracted_from_goods_and_taxed_shipping() -> None:
    items = [item(1, 1, 1000), item(2, 3, 333)]
    rates = TaxRates(
        tax_included=True,
        line_rates={uuid.UUID(int=1): 2000, uuid.UUID(int=2): 1000},
        shipping_rate=2000,
    )
    pricing = price(items, [], flat(600), rates, "EUR")
    # Shipping 600 over [1000, 999]: 300.15 and 299.85 -> [300, 300].
    # Line 1: 1000 * 2000 / 12000 = 166.67 -> 167, its shipping 300 * 2000 / 12000 = 50.
    # Line 2: 999 * 1000 / 11000 = 90.82 -> 91, its shipping 50.
    assert [(line.shipping, line.tax, line.total) for line in pricing.lines] == [
        (300, 217, 1300),
        (300, 141, 1299),
    ]
    assert pricing.parcels[0].tax == 100
    assert pricing.tax_included is True
    # The tax is inside the prices: the total is goods plus shipping.
    assert (pricing.subtotal, pricing.shipping, pricing.tax, pricing.total) == (
        1999,
        600,
        358,
        2599,
    )


def test_us_exclusive_state_rate_leaves_shipping_untaxed() -> None:
    items = [item(1, 2, 1999), item(2, 1, 501)]
    rates = TaxRates(
        tax_included=False,
        line_rates={uuid.UUID(int=1): 725, uuid.UUID(int=2): 725},
        shipping_rate=0,
    )
    pricing = price(items, [], flat(899), rates, "USD")
    # 3998 * 7.25 % = 289.86 -> 290; 501 * 7.25 % = 36.32 -> 36. Shipping 899 over
    # [3998, 501]: 798.89 and 100.11 -> [799, 100], untaxed.
    assert [(line.shipping, line.tax, line.total) for line in pricing.lines] == [
        (799, 290, 5087),
        (100, 36, 637),
    ]
    assert pricing.parcels[0].tax == 0
    assert (pricing.subtotal, pricing.shipping, pricing.tax, pricing.total) == (
        4499,
        899,
        326,
        5724,
    )


def test_tax_is_on_goods_after_discounts() -> None:
    items = [item(1, 1, 2000, list_unit_price=2500, promotion="Sale")]
    rates = TaxRates(tax_included=False, line_rates={uuid.UUID(int=1): 1000}, shipping_rate=1000)
    pricing = price(items, [voucher("OFF", DiscountKind.FIXED, 500)], flat(300), rates, "USD")
    # Goods 2500 - 500 - 500 = 1500: tax 150; shipping 300: tax 30.
    assert (pricing.discount, pricing.tax, pricing.total) == (1000, 180, 1500 + 300 + 180)


# --------------------------------------------------------------------------- allocation


def test_allocate_by_largest_remainder_ties_to_the_earlier_position() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(7, [1, 1, 1]) == [3, 2, 2]
    assert allocate(5, [3, 3, 0, 3]) == [2, 2, 0, 1]
    assert allocate(10, [1, 2, 3, 4]) == [1, 2, 3, 4]
    assert allocate(900, [3998, 4999]) == [400, 500]
    # A larger remainder wins over an earlier position: 0.6 beats 0.4.
    assert allocate(1, [2, 3]) == [0, 1]


def test_allocate_splits_equally_over_zero_weights_and_refuses_nonsense() -> None:
    assert allocate(5, [0, 0]) == [3, 2]
    assert allocate(0, []) == []
    with pytest.raises(ValueError, match="no weights"):
        allocate(1, [])
    with pytest.raises(ValueError, match="negative"):
        allocate(-1, [1])


def test_bad_inputs_are_refused_naming_the_cause() -> None:
    with pytest.raises(ValueError, match="above list_unit_price"):
        item(1, 1, 1000, list_unit_price=900)
    with pytest.raises(ValueError, match="quantity"):
        item(1, 0, 1000)
    with pytest.raises(ValueError, match="value"):
        voucher("NEG", DiscountKind.FIXED, -1)
