"""StripeTaxProvider against a fake Stripe at the HTTP boundary: the real `stripe`
library sends the calculation, the fake answers as Stripe does, and the test reads both
the form fields sent and the rates carts keeps."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from domains.carts.pricing.money import CartItem, TaxRates
from domains.carts.pricing.stripe_tax import StripeTaxProvider
from domains.carts.pricing.tax_provider import Destination, TaxProvider, TaxUnavailable
from tests.support.fake_stripe_tax import (
    API_KEY,
    FakeStripeTax,
    running_fake_stripe_tax,
)

SELLER_1 = uuid.UUID(int=0x51)
SELLER_2 = uuid.UUID(int=0x52)
NEW_YORK = Destination(country_code="US", country_area="NY", postal_code="10001")
BERLIN = Destination(country_code="DE", country_area="", postal_code="10115")


def item(number: int, quantity: int, unit_price: int, seller: uuid.UUID = SELLER_1) -> CartItem:
    return CartItem(
        variant_id=uuid.UUID(int=number),
        product_id=uuid.UUID(int=1000 + number),
        seller_id=seller,
        category_ids=frozenset(),
        quantity=quantity,
        list_unit_price=unit_price,
        unit_price=unit_price,
        promotion_name=None,
    )


@pytest.fixture
def fake() -> Iterator[FakeStripeTax]:
    with running_fake_stripe_tax() as fake:
        yield fake


@pytest.fixture
def provider(fake: FakeStripeTax) -> StripeTaxProvider:
    return StripeTaxProvider(API_KEY, api_base=fake.base_url)


async def test_a_us_address_is_priced_exclusive_with_every_collected_part_of_the_rate(
    fake: FakeStripeTax, provider: StripeTaxProvider
) -> None:
    items = [item(1, 2, 1999, SELLER_1), item(2, 1, 501, SELLER_2)]
    as_seam: TaxProvider = provider

    rates = await as_seam.rates(NEW_YORK, items, {SELLER_1: 700, SELLER_2: 500}, "USD")

    # 4.0 + 4.5 + 0.375 = 8.875 % -> 888 bp; the county's 1 % is not collected. New
    # York's shipping came back untaxed.
    assert rates == TaxRates(
        tax_included=False,
        line_rates={uuid.UUID(int=1): 888, uuid.UUID(int=2): 888},
        shipping_rate=0,
    )
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/v1/tax/calculations")
    assert request.authorization == f"Bearer {API_KEY}"
    assert request.fields == {
        "currency": "usd",
        "customer_details[address][country]": "US",
        "customer_details[address][state]": "NY",
        "customer_details[address][postal_code]": "10001",
        "customer_details[address_source]": "shipping",
        "line_items[0][amount]": "3998",
        "line_items[0][quantity]": "2",
        "line_items[0][reference]": str(uuid.UUID(int=1)),
        "line_items[0][tax_behavior]": "exclusive",
        "line_items[1][amount]": "501",
        "line_items[1][quantity]": "1",
        "line_items[1][reference]": str(uuid.UUID(int=2)),
        "line_items[1][tax_behavior]": "exclusive",
        # One shipping cost per calculation: the two parcels' 700 + 500.
        "shipping_cost[amount]": "1200",
        "shipping_cost[tax_behavior]": "exclusive",
        "expand[0]": "line_items.data.tax_breakdown",
    }


async def test_a_german_address_is_priced_inclusive_with_reduced_lines_and_taxed_shipping(
    fake: FakeStripeTax, provider: StripeTaxProvider
) -> None:
    book, lamp = item(1, 1, 1500), item(2, 1, 8900)
    fake.reduced.add(str(book.variant_id))

    rates = await provider.rates(BERLIN, [book, lamp], {SELLER_1: 490}, "EUR")

    assert rates == TaxRates(
        tax_included=True,
        line_rates={book.variant_id: 700, lamp.variant_id: 1900},
        shipping_rate=1900,
    )
    fields = fake.requests[0].fields
    assert fields["currency"] == "eur"
    assert fields["customer_details[address][state]"] == ""
    assert [fields[f"line_items[{n}][tax_behavior]"] for n in (0, 1)] == ["inclusive"] * 2
    assert (fields["shipping_cost[amount]"], fields["shipping_cost[tax_behavior]"]) == (
        "490",
        "inclusive",
    )


async def test_free_shipping_sends_no_shipping_cost_and_answers_rate_zero(
    fake: FakeStripeTax, provider: StripeTaxProvider
) -> None:
    rates = await provider.rates(BERLIN, [item(1, 1, 1000)], {SELLER_1: 0}, "EUR")
    assert rates.shipping_rate == 0
    assert rates.line_rates == {uuid.UUID(int=1): 1900}
    assert not [key for key in fake.requests[0].fields if key.startswith("shipping_cost")]


async def test_line_items_past_the_first_page_are_fetched(
    fake: FakeStripeTax, provider: StripeTaxProvider
) -> None:
    items = [item(number, 1, 100 * number) for number in range(1, 13)]

    rates = await provider.rates(BERLIN, items, {SELLER_1: 500}, "EUR")

    assert rates.line_rates == {line.variant_id: 1900 for line in items}
    calculation, more = fake.requests
    assert calculation.fields["line_items[11][reference]"] == str(items[11].variant_id)
    assert (more.method, more.path) == ("GET", "/v1/tax/calculations/taxcalc_test_1/line_items")
    assert more.fields == {
        "limit": "100",
        "starting_after": "tax_li_0010",
        "expand[0]": "data.tax_breakdown",
    }


async def test_a_refusal_from_stripe_is_tax_unavailable_naming_the_cause(
    fake: FakeStripeTax, provider: StripeTaxProvider
) -> None:
    fake.refusal = (
        400,
        {
            "error": {
                "type": "invalid_request_error",
                "code": "customer_tax_location_invalid",
                "message": "We could not determine the customer's tax location.",
            }
        },
    )
    with pytest.raises(TaxUnavailable) as unavailable:
        await provider.rates(NEW_YORK, [item(1, 1, 1000)], {SELLER_1: 500}, "USD")
    assert str(unavailable.value) == (
        "Stripe Tax could not calculate the tax (HTTP 400, customer_tax_location_invalid): "
        "We could not determine the customer's tax location."
    )
    # A bad request is not retried.
    assert len(fake.requests) == 1


async def test_an_answer_missing_a_line_is_tax_unavailable(
    fake: FakeStripeTax, provider: StripeTaxProvider
) -> None:
    kept, dropped = item(1, 1, 1000), item(2, 1, 1000)
    fake.dropped.add(str(dropped.variant_id))
    with pytest.raises(TaxUnavailable, match=f"no line for variant {dropped.variant_id}"):
        await provider.rates(BERLIN, [kept, dropped], {SELLER_1: 500}, "EUR")


async def test_a_wrong_api_key_is_tax_unavailable(fake: FakeStripeTax) -> None:
    wrong = StripeTaxProvider("sk_test_wrong", api_base=fake.base_url)
    with pytest.raises(TaxUnavailable, match=r"\(HTTP 401\): Invalid API Key provided\."):
        await wrong.rates(BERLIN, [item(1, 1, 1000)], {}, "EUR")


async def test_no_lines_ask_stripe_nothing(
    fake: FakeStripeTax, provider: StripeTaxProvider
) -> None:
    rates = await provider.rates(NEW_YORK, [], {}, "USD")
    assert rates == TaxRates(tax_included=False, line_rates={}, shipping_rate=0)
    assert fake.requests == []
