"""A process that sends its own events (kit/events/eager.py) writes a placed order's
announcement, and the stock answer's, in the statement that records each."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import AsyncIterator, Awaitable

import pytest
from sqlalchemy import select

from domains.kit.config import Settings
from domains.kit.events import Relay
from domains.kit.events.outbox import EAGER_SENDER
from domains.kit.resources import Resources, open_resources
from domains.orders.models import EVENT_TABLES, Order
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
from tests.support.sql_counter import statements_sent


@pytest.fixture
async def sending_its_own(settings: Settings) -> AsyncIterator[Resources]:
    async with open_resources(dataclasses.replace(settings, events_send_on_commit=True)) as own:
        yield own


async def _statements_of(own: Resources, work: Awaitable[object]) -> list[str]:
    """The statements `work` sends through `own`, its events' sends included."""
    with statements_sent(own) as statements:
        await work
        await own.session_factory.kw["info"][EAGER_SENDER].drain()
    return statements


async def test_an_order_and_its_stock_answer_are_announced_by_the_statements_recording_them(
    resources: Resources, sending_its_own: Resources
) -> None:
    lamps, books = seller(resources), seller(resources)
    lamps_shop, books_shop = shop_of(lamps), shop_of(books)
    # The producer's Redis epoch begun, as a running relay begins it.
    await Relay(resources, EVENT_TABLES, producer=EVENT_TABLES.producer).relay_once()

    placing = await _statements_of(
        sending_its_own,
        check_out(
            sending_its_own,
            customer(resources),
            {LAMP: 2, SHADE: 1, BOOK: 1},
            german_quote(lamps_shop, books_shop),
        ),
    )
    written = [s for s in placing if re.search(r"INSERT INTO orders\.order_lines|outbox", s)]
    assert len(written) == 2, written  # the contents with the announcement; the mark
    assert "INSERT INTO orders.outbox" in written[0]
    assert written[1].lstrip().startswith("UPDATE orders.outbox")
    order_id = await _placed_last(resources)

    answering = await _statements_of(
        sending_its_own,
        reserve(sending_its_own, order_id, german_reservation(lamps_shop, books_shop)),
    )
    writes = [s for s in answering if re.search(r"UPDATE orders\.orders|orders\.outbox", s)]
    assert len(writes) == 2, writes  # the answer with its announcement; the mark once sent
    assert "INSERT INTO orders.outbox" in writes[0]
    assert writes[1].lstrip().startswith("UPDATE orders.outbox")
    assert await _announced(resources, order_id, "PENDING") == (1, "EUR")
    assert await _announced(resources, order_id, "AWAITING_PAYMENT") == (2, "EUR")


async def _placed_last(resources: Resources) -> uuid.UUID:
    async with resources.session_factory() as session:
        order_id = await session.scalar(
            select(Order.id).order_by(Order.created_at.desc(), Order.number.desc()).limit(1)
        )
    assert order_id is not None
    return order_id


async def _announced(
    resources: Resources, order_id: uuid.UUID, status: str
) -> tuple[int, str | None]:
    """The sequence and currency the order's announcement of `status` carries, once it
    is sent by the process that wrote it."""
    outbox = EVENT_TABLES.outbox
    async with resources.session_factory() as session:
        announced = (
            await session.execute(
                select(outbox.c.payload, outbox.c.relayed_at).where(
                    outbox.c.name == "OrderStatusChanged",
                    outbox.c.payload["order_id"].astext == str(order_id),
                    outbox.c.payload["status"].astext == status,
                )
            )
        ).all()
    ((payload, relayed_at),) = announced
    assert relayed_at is not None, "sent by the process that wrote it"
    return payload["sequence"], payload["currency"]
