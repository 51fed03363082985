"""A cart priced through the gateway with Stripe Tax behind the tax seam
(CARTS_TAX_PROVIDER=stripe): the real stripe library asks a stand-in of Stripe's HTTP API
for the destination's rates, and our engine turns them into amounts."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from domains.kit.config import Settings
from domains.kit.resources import Resources
from shopgraph.platform import build_platform_app
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.checkout import cart_with, eventually, ok
from tests.support.fake_stripe_tax import API_KEY, FakeStripeTax, running_fake_stripe_tax
from tests.support.graphql import GraphQLClient
from tests.support.tokens import token_for


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripeTax]:
    with running_fake_stripe_tax() as fake:
        yield fake


@pytest.fixture
async def stripe_taxed_platform(
    settings: Settings,
    resources: Resources,
    fake_stripe: FakeStripeTax,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[GraphQLClient]:
    monkeypatch.setenv("CARTS_TAX_PROVIDER", "stripe")
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.base_url)
    app = build_platform_app(dataclasses.replace(settings, stripe_api_key=API_KEY))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        yield GraphQLClient(http)


async def test_new_york_rates_come_from_stripe_tax(
    stripe_taxed_platform: GraphQLClient, resources: Resources, fake_stripe: FakeStripeTax
) -> None:
    catalog = Catalog(resources)
    seller = await catalog.seller()
    lamp = await catalog.product(
        seller, "Desk Lamp", variants=[VariantSpec(sku="LAMP", price=2000, stock=5)]
    )
    (variant,) = await catalog.variant_ids(lamp.id)
    token = token_for(resources, uuid.uuid4())
    cart = await cart_with(
        stripe_taxed_platform, token, [{"variantId": str(variant), "quantity": 1}]
    )
    query = (
        "query($cart: ID!) { cart(id: $cart) { pricing(address: "
        '{countryCode: "US", countryArea: "NY", postalCode: "10001"}) '
        "{ taxIncluded subtotal shipping tax total lines { tax } } } }"
    )
    pricing: dict[str, object] | None = None

    async def priced() -> bool:
        nonlocal pricing
        pricing = (await ok(stripe_taxed_platform, query, {"cart": cart}, token))["cart"]["pricing"]
        return pricing is not None

    await eventually(priced)

    # Stripe collects 4 % (state) + 4.5 % (city) + 0.375 % (district) in New York City,
    # 8.875 % = 888 basis points (half up); the county's 1 % is not collected. Added on top
    # (US style): 2000 * 8.88 % = 177.6 -> 178. Shipping is untaxed there.
    assert pricing == {
        "taxIncluded": False,
        "subtotal": 2000,
        "shipping": 500,
        "tax": 178,
        "total": 2000 + 500 + 178,
        "lines": [{"tax": 178}],
    }
    sent = fake_stripe.requests[-1].fields
    assert sent["customer_details[address][country]"] == "US"
    assert sent["customer_details[address][state]"] == "NY"
    assert sent["line_items[0][amount]"] == "2000"
