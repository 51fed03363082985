"""Fifty shoppers, five units: the checkout saga under contention, through the gateway.

The platform runs every domain's relay and consumers as `shopgraph serve` does, and the
products domain gets three more consumers in its group, as three more pods would, so
reservations for the same variant really are made concurrently. Each round starts from
fresh stock; the rounds repeat the race.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from domains.kit.app import stop_tasks
from domains.kit.events import Consumer
from domains.kit.resources import Resources
from domains.orders.models import Order
from domains.products.consumers import subscriptions as products_subscriptions
from domains.products.models import EVENT_TABLES as PRODUCTS_EVENTS
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.checkout import ADDRESS, CHECKOUT, cart_with, stock
from tests.support.graphql import GraphQLClient
from tests.support.tokens import token_for

SHOPPERS = 50
UNITS = 5
EXTRA_PRODUCTS_CONSUMERS = 3
# However loaded the machine, every checkout is decided well within this; a shopper whose
# answer came back PENDING (past the wait) asks again with the same idempotency key.
DECISION_BOUND_SECONDS = 120.0


@pytest.fixture
async def more_products_consumers(
    platform: GraphQLClient, resources: Resources
) -> AsyncIterator[None]:
    """Three more consumers in the products group, beside the platform's own."""
    extra = [
        asyncio.create_task(
            Consumer(
                resources,
                PRODUCTS_EVENTS,
                group="products",
                subscriptions=products_subscriptions(resources),
                consumer_name=f"products-extra-{index}",
            ).run()
        )
        for index in range(EXTRA_PRODUCTS_CONSUMERS)
    ]
    try:
        yield
    finally:
        survivors = await stop_tasks(extra)
        assert survivors == [], f"consumers that would not stop: {survivors}"


async def _decided(
    client: GraphQLClient, token: str, cart: str, key: str, first: dict[str, Any]
) -> dict[str, Any]:
    """The checkout's decision, asking again with the same key while it is PENDING."""
    answer = first
    async with asyncio.timeout(DECISION_BOUND_SECONDS):
        while answer["status"] == "PENDING":
            await asyncio.sleep(1.0)
            response = await client.execute(
                CHECKOUT, {"cart": cart, "address": ADDRESS, "key": key}, token=token
            )
            answer = response.ok()["checkoutComplete"]
    return answer


@pytest.mark.parametrize("round_number", range(3))
async def test_fifty_shoppers_five_units_make_exactly_five_orders(
    platform: GraphQLClient,
    resources: Resources,
    more_products_consumers: None,
    round_number: int,
) -> None:
    catalog = Catalog(resources)
    seller = await catalog.seller()
    product = await catalog.product(
        seller, "Last Edition Print", variants=[VariantSpec(sku="PRINT", price=9000, stock=UNITS)]
    )
    (variant,) = await catalog.variant_ids(product.id)
    tokens = [token_for(resources, uuid.uuid4()) for _ in range(SHOPPERS)]
    carts = await asyncio.gather(
        *(
            cart_with(platform, token, [{"variantId": str(variant), "quantity": 1}])
            for token in tokens
        )
    )
    key = f"round-{round_number}"

    responses = await asyncio.gather(
        *(
            platform.execute(CHECKOUT, {"cart": cart, "address": ADDRESS, "key": key}, token=token)
            for token, cart in zip(tokens, carts, strict=True)
        )
    )
    answers = await asyncio.gather(
        *(
            _decided(platform, token, cart, key, response.ok()["checkoutComplete"])
            for token, cart, response in zip(tokens, carts, responses, strict=True)
        )
    )

    outcomes = Counter(
        (answer["status"], tuple(error["code"] for error in answer["errors"])) for answer in answers
    )
    assert outcomes == {
        ("AWAITING_PAYMENT", ()): UNITS,
        ("FAILED", ("INSUFFICIENT_STOCK",)): SHOPPERS - UNITS,
    }
    refused = [answer for answer in answers if answer["status"] == "FAILED"]
    assert all(answer["errors"][0]["variantIds"] == [str(variant)] for answer in refused), (
        "each refusal names the short variant"
    )
    assert await stock(resources, variant) == (UNITS, UNITS), "(on hand, reserved)"
    async with resources.session_factory() as session:
        by_status = dict(
            (await session.execute(select(Order.status, func.count()).group_by(Order.status))).all()
        )
    assert by_status == {"AWAITING_PAYMENT": UNITS, "FAILED": SHOPPERS - UNITS}
