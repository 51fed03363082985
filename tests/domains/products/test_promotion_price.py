"""The promoted unit price, worked out by hand: percentage rounding half up, fixed amounts
never below zero, the best promotion for the shopper, reach and time boundaries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from domains.products.models import PromotionKind
from domains.products.promotion_price import (
    PriceBook,
    PromotionTerms,
    best_price,
    promoted_unit_price,
    round_half_up_div,
)

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
SELLER = uuid.uuid4()
OTHER_SELLER = uuid.uuid4()
CLOTHING, KNITWEAR = uuid.uuid4(), uuid.uuid4()


@dataclass(frozen=True)
class _Product:
    id: uuid.UUID
    seller_id: uuid.UUID
    category_id: uuid.UUID | None


def _terms(
    name: str,
    kind: PromotionKind,
    value: int,
    *,
    currency: str | None = None,
    seller_id: uuid.UUID | None = None,
    categories: tuple[uuid.UUID, ...] = (),
    covered: tuple[uuid.UUID, ...] = (),
    products: tuple[uuid.UUID, ...] = (),
    starts_at: datetime = NOW - timedelta(days=1),
    ends_at: datetime | None = None,
    ended_at: datetime | None = None,
) -> PromotionTerms:
    return PromotionTerms(
        id=uuid.uuid4(),
        name=name,
        kind=kind.value,
        value=value,
        currency=currency,
        seller_id=seller_id,
        category_ids=categories,
        product_ids=products,
        covered_category_ids=frozenset(covered or categories),
        starts_at=starts_at,
        ends_at=ends_at,
        ended_at=ended_at,
        created_at=starts_at,
        updated_at=starts_at,
    )


@pytest.mark.parametrize(
    ("list_price", "basis_points", "expected"),
    [
        (1999, 2000, 1599),  # 399.80 off rounds to 400
        (1005, 1500, 854),  # 150.75 off rounds to 151
        (5, 1000, 4),  # 0.5 off rounds half up to 1
        (15, 1000, 13),  # 1.5 off rounds to 2
        (25, 1000, 22),  # 2.5 off rounds to 3
        (4, 1000, 4),  # 0.4 off rounds to 0
        (1999, 10000, 0),  # 100 % off
        (0, 2000, 0),
    ],
)
def test_a_percentage_takes_the_discount_rounded_half_up(
    list_price: int, basis_points: int, expected: int
) -> None:
    assert promoted_unit_price(list_price, PromotionKind.PERCENTAGE, basis_points) == expected


@pytest.mark.parametrize(
    ("list_price", "amount_off", "expected"),
    [(1999, 500, 1499), (500, 500, 0), (300, 500, 0)],
)
def test_a_fixed_amount_never_goes_below_zero(
    list_price: int, amount_off: int, expected: int
) -> None:
    assert promoted_unit_price(list_price, PromotionKind.FIXED, amount_off) == expected


def test_round_half_up_division() -> None:
    assert [round_half_up_div(n, 4) for n in (0, 1, 2, 3, 5, 6)] == [0, 0, 1, 1, 1, 2]


def test_the_promoted_price_never_falls_as_the_list_price_rises() -> None:
    # What lets a product's promoted range be its list range, each end priced alone.
    for basis_points in (1, 333, 2000, 5000, 9999, 10000):
        prices = [
            promoted_unit_price(p, PromotionKind.PERCENTAGE, basis_points) for p in range(3000)
        ]
        assert prices == sorted(prices), basis_points


def test_promotions_do_not_stack_the_best_for_the_shopper_wins() -> None:
    product = _Product(uuid.uuid4(), SELLER, KNITWEAR)
    tenth = _terms("Ten percent", PromotionKind.PERCENTAGE, 1000)
    three_off = _terms("Three off", PromotionKind.FIXED, 300, currency="USD")

    cheap = best_price(1999, "USD", product, [tenth, three_off])
    dear = best_price(5000, "USD", product, [tenth, three_off])

    # 1999: 10 % is 199.9 -> 200 off (1799); 300 off is 1699, the better one.
    assert (cheap.price, cheap.discount, cheap.promotion) == (1699, 300, three_off)
    # 5000: 10 % is 500 off (4500); 300 off is 4700.
    assert (dear.price, dear.discount, dear.promotion) == (4500, 500, tenth)


def test_a_tie_names_the_promotion_that_started_first() -> None:
    product = _Product(uuid.uuid4(), SELLER, None)
    later = _terms("Later", PromotionKind.FIXED, 200, currency="USD", starts_at=NOW)
    earlier = _terms("Earlier", PromotionKind.PERCENTAGE, 1000, starts_at=NOW - timedelta(days=2))

    assert best_price(2000, "USD", product, [later, earlier]).promotion == earlier


def test_what_a_promotion_reaches() -> None:
    in_knitwear = _Product(uuid.uuid4(), SELLER, KNITWEAR)
    elsewhere = _Product(uuid.uuid4(), SELLER, None)
    clothing = _terms(
        "Clothing",
        PromotionKind.PERCENTAGE,
        1000,
        categories=(CLOTHING,),
        covered=(CLOTHING, KNITWEAR),
    )
    named = _terms("Named", PromotionKind.PERCENTAGE, 1000, products=(elsewhere.id,))
    shop_sale = _terms("Shop", PromotionKind.PERCENTAGE, 1000, seller_id=OTHER_SELLER)
    everything = _terms("All", PromotionKind.PERCENTAGE, 1000)
    euros_off = _terms("Euros", PromotionKind.FIXED, 100, currency="EUR")

    assert clothing.covers(in_knitwear, "USD")  # a category below the one named
    assert not clothing.covers(elsewhere, "USD")
    assert named.covers(elsewhere, "USD")
    assert not named.covers(in_knitwear, "USD")
    assert not shop_sale.covers(in_knitwear, "USD")  # another seller's sale
    assert everything.covers(in_knitwear, "USD")
    assert everything.covers(elsewhere, "USD")
    assert not euros_off.covers(in_knitwear, "USD")  # a fixed amount in another currency
    assert euros_off.covers(in_knitwear, "EUR")


def test_a_promotion_applies_from_its_start_until_its_end_or_being_ended() -> None:
    product = _Product(uuid.uuid4(), SELLER, None)
    starts, ends = NOW, NOW + timedelta(hours=2)
    sale = _terms("Sale", PromotionKind.PERCENTAGE, 5000, starts_at=starts, ends_at=ends)
    stopped = _terms(
        "Stopped",
        PromotionKind.PERCENTAGE,
        5000,
        starts_at=starts,
        ended_at=NOW + timedelta(hours=1),
    )

    def price(book_at: datetime, *promotions: PromotionTerms) -> int:
        return PriceBook(promotions, book_at).price(1000, "USD", product).price

    assert price(starts - timedelta(microseconds=1), sale) == 1000
    assert price(starts, sale) == 500
    assert price(ends - timedelta(microseconds=1), sale) == 500
    assert price(ends, sale) == 1000
    assert price(NOW + timedelta(minutes=59), stopped) == 500
    assert price(NOW + timedelta(hours=1), stopped) == 1000


def test_a_promotion_taking_nothing_off_is_not_named() -> None:
    product = _Product(uuid.uuid4(), SELLER, None)
    tiny = _terms("Tiny", PromotionKind.PERCENTAGE, 1)  # 0.001 of 10 rounds to 0

    priced = best_price(10, "USD", product, [tiny])

    assert (priced.price, priced.promotion) == (10, None)


def test_terms_survive_the_cache_codec() -> None:
    terms = _terms(
        "Codec",
        PromotionKind.FIXED,
        250,
        currency="USD",
        seller_id=SELLER,
        categories=(CLOTHING,),
        covered=(CLOTHING, KNITWEAR),
        products=(uuid.uuid4(),),
        ends_at=NOW + timedelta(days=3),
    )

    assert PromotionTerms.from_json(terms.to_json()) == terms
