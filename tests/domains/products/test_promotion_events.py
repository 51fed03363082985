"""What other domains hear of promotions: VariantPriceChanged for every variant a
promotion reaches when it is created, changed or ended, and once when it starts or ends
by the clock (the sweeper); StockReserved at the promoted price."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from domains.kit.db import transaction
from domains.kit.events import Event, decode_event
from domains.kit.resources import Resources
from domains.products import events
from domains.products.models import EVENT_TABLES, Promotion
from domains.products.services.order_stock import order_stock
from domains.products.sweeper import announce_promotions_once
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.graphql import GraphQLClient

E = TypeVar("E", bound=Event)

CREATE = """
mutation Create($input: PromotionCreateInput!) {
  promotionCreate(input: $input) { promotion { id } errors { field code message } }
}
"""
END = """
mutation End($id: ID!) { promotionEnd(id: $id) { promotion { id } errors { code } } }
"""


async def _published(resources: Resources, kind: type[E]) -> list[E]:
    outbox = EVENT_TABLES.outbox
    async with resources.session_factory() as session:
        rows = await session.execute(
            select(outbox.c.payload).where(outbox.c.name == kind.name).order_by(outbox.c.position)
        )
        return [decode_event(kind, payload) for (payload,) in rows.all()]


def _prices(found: list[events.VariantPriceChanged]) -> list[tuple[str, int, int | None, Any]]:
    return [
        (event.sku, event.price_amount, event.list_price_amount, event.promotion_name)
        for event in found
    ]


@pytest.fixture
async def setup(catalog: Catalog) -> dict[str, Any]:
    seller = await catalog.seller()
    clothing = await catalog.category("Clothing")
    shirts = await catalog.category("Shirts", parent=clothing)
    shirt = await catalog.product(
        seller,
        "Linen Shirt",
        category_id=shirts,
        variants=[
            VariantSpec("SHIRT-S", price=1999, options=[("Size", "S")]),
            VariantSpec("SHIRT-L", price=2999, options=[("Size", "L")]),
        ],
    )
    await catalog.product(seller, "Mug", variants=[VariantSpec("MUG", price=999)])
    return {"staff": catalog.staff(), "clothing": clothing, "shirts": shirts, "shirt": shirt}


async def _create(client: GraphQLClient, setup: dict[str, Any], **input: Any) -> str:
    response = await client.execute(
        CREATE,
        {
            "input": {
                "name": "Winter sale",
                "discount": {"basisPoints": 2000},
                "categoryIds": [str(setup["clothing"])],
                **input,
            }
        },
        token=setup["staff"].token,
    )
    payload = response.ok()["promotionCreate"]
    assert payload["errors"] == []
    return str(payload["promotion"]["id"])


async def test_creating_and_ending_a_live_promotion_announces_its_scope(
    products_client: GraphQLClient, resources: Resources, setup: dict[str, Any]
) -> None:
    before = await _published(resources, events.VariantPriceChanged)
    promotion_id = await _create(products_client, setup)
    created = (await _published(resources, events.VariantPriceChanged))[len(before) :]
    await products_client.execute(END, {"id": promotion_id}, token=setup["staff"].token)
    ended = (await _published(resources, events.VariantPriceChanged))[len(before) + 2 :]

    # Only the shirt's variants (the mug is outside Clothing), 20 % off, then list prices.
    assert _prices(created) == [
        ("SHIRT-S", 1599, 1999, "Winter sale"),
        ("SHIRT-L", 2399, 2999, "Winter sale"),
    ]
    assert {tuple(event.category_ids) for event in created} == {
        (setup["shirts"], setup["clothing"])
    }
    assert {event.product_id for event in created} == {setup["shirt"].id}
    assert _prices(ended) == [("SHIRT-S", 1999, 1999, None), ("SHIRT-L", 2999, 2999, None)]
    # Announced at the end already: the sweeper has nothing left to say.
    assert await announce_promotions_once(resources, now=datetime.now(UTC)) == 0


async def test_the_sweeper_announces_a_start_and_an_end_once_each(
    products_client: GraphQLClient, resources: Resources, setup: dict[str, Any]
) -> None:
    starts = datetime.now(UTC) + timedelta(hours=1)
    ends = starts + timedelta(hours=1)
    before = len(await _published(resources, events.VariantPriceChanged))
    promotion_id = await _create(
        products_client, setup, startsAt=starts.isoformat(), endsAt=ends.isoformat()
    )

    async def state() -> str:
        async with resources.session_factory() as session:
            row = await session.get(Promotion, uuid.UUID(promotion_id))
            assert row is not None
            return row.announced_state

    async def new_events() -> list[events.VariantPriceChanged]:
        return (await _published(resources, events.VariantPriceChanged))[before:]

    assert await new_events() == []  # scheduled: nothing sells differently yet
    assert await announce_promotions_once(resources, now=starts - timedelta(seconds=1)) == 0
    assert (await state(), await new_events()) == ("PENDING", [])

    assert await announce_promotions_once(resources, now=starts) == 1
    assert await announce_promotions_once(resources, now=starts + timedelta(minutes=5)) == 0
    started = await new_events()
    assert _prices(started) == [
        ("SHIRT-S", 1599, 1999, "Winter sale"),
        ("SHIRT-L", 2399, 2999, "Winter sale"),
    ]
    assert {event.changed_at for event in started} == {starts}
    assert await state() == "STARTED"

    assert await announce_promotions_once(resources, now=ends) == 1
    assert await announce_promotions_once(resources, now=ends + timedelta(days=1)) == 0
    assert _prices((await new_events())[2:]) == [
        ("SHIRT-S", 1999, 1999, None),
        ("SHIRT-L", 2999, 2999, None),
    ]
    assert len(await new_events()) == 4
    assert await state() == "ENDED"


async def test_stock_is_reserved_at_the_promoted_price(
    products_client: GraphQLClient, resources: Resources, setup: dict[str, Any], catalog: Catalog
) -> None:
    await _create(
        products_client, setup, discount={"amountOff": {"amount": 500, "currency": "USD"}}
    )
    small, large = await catalog.variant_ids(setup["shirt"].id)
    order_id = uuid.uuid4()

    async with transaction(resources.session_factory) as session:
        await order_stock.reserve_for_order(
            session,
            events.OrderPlaced(
                order_id=order_id,
                lines=[
                    events.OrderLineRequest(variant_id=small, quantity=2),
                    events.OrderLineRequest(variant_id=large, quantity=1),
                ],
                payment_due_at=datetime.now(UTC) + timedelta(minutes=15),
            ),
        )

    [reserved] = await _published(resources, events.StockReserved)
    assert reserved.order_id == order_id
    assert [
        (line.sku, line.quantity, line.unit_price, line.list_unit_price, line.promotion_name)
        for line in reserved.lines
    ] == [("SHIRT-S", 2, 1499, 1999, "Winter sale"), ("SHIRT-L", 1, 2499, 2999, "Winter sale")]
    assert {tuple(line.category_ids) for line in reserved.lines} == {
        (setup["shirts"], setup["clothing"])
    }


async def test_moving_a_product_to_another_category_announces_its_prices(
    products_client: GraphQLClient, resources: Resources, setup: dict[str, Any], catalog: Catalog
) -> None:
    await _create(products_client, setup)
    last = (await _published(resources, events.VariantPriceChanged))[-1]
    assert (last.sku, last.promotion_name) == ("SHIRT-L", "Winter sale")
    product = await catalog.product(
        await catalog.seller(), "Scarf", variants=[VariantSpec("SCARF", price=1000)]
    )
    before = len(await _published(resources, events.VariantPriceChanged))

    response = await products_client.execute(
        """mutation Move($id: ID!, $input: ProductUpdateInput!) {
          productUpdate(id: $id, input: $input) { errors { code } } }""",
        {"id": str(product.id), "input": {"categoryId": str(setup["shirts"])}},
        token=setup["staff"].token,
    )

    assert response.ok()["productUpdate"]["errors"] == []
    moved = (await _published(resources, events.VariantPriceChanged))[before:]
    assert _prices(moved) == [("SCARF", 800, 1000, "Winter sale")]
    assert moved[0].category_ids == [setup["shirts"], setup["clothing"]]
