"""A process that sends its own events (kit/events/eager.py) writes the stock answer's
announcement in the statement that records the answer."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from domains.kit.config import Settings
from domains.kit.events import Relay
from domains.kit.events.outbox import EAGER_SENDER
from domains.kit.resources import Resources, open_resources
from domains.orders.models import EVENT_TABLES
from tests.domains.orders.live_helpers import customer, seller
from tests.domains.orders.test_price_breakdown import (
    BOOK,
    LAMP,
    SHADE,
    check_out,
    german_quote,
    german_reservation,
    reserve,
    shop_of,
)


@pytest.fixture
async def sending_its_own(settings: Settings) -> AsyncIterator[Resources]:
    async with open_resources(dataclasses.replace(settings, events_send_on_commit=True)) as own:
        yield own


async def test_the_stock_answer_and_its_announcement_are_one_statement(
    resources: Resources, sending_its_own: Resources
) -> None:
    lamps, books = seller(resources), seller(resources)
    lamps_shop, books_shop = shop_of(lamps), shop_of(books)
    order_id = await check_out(
        resources,
        customer(resources),
        {LAMP: 2, SHADE: 1, BOOK: 1},
        german_quote(lamps_shop, books_shop),
    )
    # The producer's Redis epoch begun, as a running relay begins it.
    await Relay(resources, EVENT_TABLES, producer=EVENT_TABLES.producer).relay_once()
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = sending_its_own.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        await reserve(sending_its_own, order_id, german_reservation(lamps_shop, books_shop))
        await sending_its_own.session_factory.kw["info"][EAGER_SENDER].drain()
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)

    writes = [s for s in statements if re.search(r"UPDATE orders\.orders|orders\.outbox", s)]
    assert len(writes) == 2, writes  # the answer with its announcement; the mark once sent
    assert "INSERT INTO orders.outbox" in writes[0]
    assert writes[1].lstrip().startswith("UPDATE orders.outbox")
    outbox = EVENT_TABLES.outbox
    async with resources.session_factory() as session:
        announced = (
            await session.execute(
                select(outbox.c.payload, outbox.c.relayed_at).where(
                    outbox.c.name == "OrderStatusChanged",
                    outbox.c.payload["order_id"].astext == str(order_id),
                    outbox.c.payload["status"].astext == "AWAITING_PAYMENT",
                )
            )
        ).all()
    ((payload, relayed_at),) = announced
    assert (payload["sequence"], payload["currency"]) == (2, "EUR")
    assert relayed_at is not None, "sent by the process that wrote it"
