"""The checkout admission gate in a rush, through the gateway: twenty shoppers race for
three units with a margin of one, so most are refused at the door. The outcome is the
one the saga alone gives (exactly three orders, every other shopper INSUFFICIENT_STOCK
naming the variant), but the refused shoppers cost no order, and nothing of theirs is
left in Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from domains.carts.admission import hold_key
from domains.carts.models import VariantOffer
from domains.kit.resources import Resources
from domains.orders.models import Order
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.checkout import ADDRESS, CHECKOUT, cart_with, eventually, stock
from tests.support.graphql import GraphQLClient
from tests.support.tokens import token_for

SHOPPERS = 20
UNITS = 3


async def _carts_view_of(resources: Resources, variant: uuid.UUID) -> int | None:
    async with resources.session_factory() as session:
        offer = await session.get(VariantOffer, variant, populate_existing=True)
    return None if offer is None else offer.available


async def test_a_rush_is_refused_at_the_door_with_the_sagas_answer(
    platform: GraphQLClient, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHECKOUT_ADMISSION_MARGIN", "1")
    catalog = Catalog(resources)
    seller = await catalog.seller()
    product = await catalog.product(
        seller, "Signed Print", variants=[VariantSpec(sku="SIGNED", price=9000, stock=UNITS)]
    )
    (variant,) = await catalog.variant_ids(product.id)

    async def carts_know_the_stock() -> bool:
        return await _carts_view_of(resources, variant) == UNITS

    await eventually(carts_know_the_stock)
    tokens = [token_for(resources, uuid.uuid4()) for _ in range(SHOPPERS)]
    carts = await asyncio.gather(
        *(cart_with(platform, t, [{"variantId": str(variant), "quantity": 1}]) for t in tokens)
    )

    responses = await asyncio.gather(
        *(
            platform.execute(CHECKOUT, {"cart": c, "address": ADDRESS, "key": "rush"}, token=t)
            for t, c in zip(tokens, carts, strict=True)
        )
    )
    answers = [response.ok()["checkoutComplete"] for response in responses]

    outcomes = Counter(
        (answer["status"], tuple(error["code"] for error in answer["errors"])) for answer in answers
    )
    assert outcomes == {
        ("AWAITING_PAYMENT", ()): UNITS,
        ("FAILED", ("INSUFFICIENT_STOCK",)): SHOPPERS - UNITS,
    }
    refused = [answer for answer in answers if answer["status"] == "FAILED"]
    assert all(answer["errors"][0]["variantIds"] == [str(variant)] for answer in refused)
    assert all("Not enough stock for lines" in a["errors"][0]["message"] for a in refused)
    assert await stock(resources, variant) == (UNITS, UNITS), "(on hand, reserved)"

    async with resources.session_factory() as session:
        by_status = dict(
            (await session.execute(select(Order.status, func.count()).group_by(Order.status))).all()
        )
    # Four at most were in the saga at once (3 seen + a margin of 1): the others had
    # their answer at the door, without an order.
    refused_at_the_door = (SHOPPERS - UNITS) - by_status.get("FAILED", 0)
    assert by_status["AWAITING_PAYMENT"] == UNITS
    assert refused_at_the_door > 0

    # Every decided checkout left the gate; no refused request left a hold.
    async def gate_is_empty() -> bool:
        return not await resources.redis.exists(hold_key(resources.settings, variant))

    await eventually(gate_is_empty)
