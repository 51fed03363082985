"""Products reserves a checkout's stock straight from carts' CheckoutRequested, while
orders places the order from the same event: every line or none, held for the payment
window from the request, and answered to orders."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import select

from domains.carts import events as carts_events
from domains.kit.events import Event, decode_event
from domains.kit.resources import Resources
from domains.products import consumers, events
from domains.products.models import EVENT_TABLES, Inventory, StockReservation
from domains.products.services.order_stock import HOLD_GRACE
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.event_delivery import deliver

E = TypeVar("E", bound=Event)
ADDRESS = carts_events.ShippingAddress(
    "Ada", "Lovelace", "", "1 Way", "", "Bath", "BA1", "GB", "", ""
)


async def _deliver(resources: Resources, event: Event) -> None:
    """Carts' event as products' consumer gets it."""
    await deliver(resources, consumers.subscriptions(resources), event)


def _checkout(order_id: uuid.UUID, lines: dict[uuid.UUID, int], at: datetime) -> Event:
    return carts_events.CheckoutRequested(
        checkout_id=uuid.uuid4(),
        order_id=order_id,
        customer_id=uuid.uuid4(),
        cart_id=uuid.uuid4(),
        idempotency_key="k",
        lines=[
            carts_events.CheckoutLine(variant, quantity, None, None)
            for variant, quantity in lines.items()
        ],
        shipping_address=ADDRESS,
        requested_at=at,
    )


async def _published(resources: Resources, kind: type[E]) -> list[E]:
    outbox = EVENT_TABLES.outbox
    async with resources.session_factory() as session:
        rows = await session.execute(
            select(outbox.c.payload).where(outbox.c.name == kind.name).order_by(outbox.c.position)
        )
        return [decode_event(kind, payload) for (payload,) in rows.all()]


async def test_a_checkout_request_reserves_its_lines_for_the_payment_window(
    resources: Resources, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    lamp = await catalog.product(seller, "Lamp", variants=[VariantSpec("LAMP", stock=5)])
    (variant,) = await catalog.variant_ids(lamp.id)
    order_id = uuid.uuid4()
    requested_at = datetime.now(UTC).replace(microsecond=0)

    await _deliver(resources, _checkout(order_id, {variant: 2}, requested_at))

    async with resources.session_factory() as session:
        held = (await session.scalars(select(StockReservation))).all()
        level = await session.get(Inventory, variant)
    (reserved,) = await _published(resources, events.StockReserved)
    assert (reserved.order_id, [(line.sku, line.quantity) for line in reserved.lines]) == (
        order_id,
        [("LAMP", 2)],
    )
    assert [(row.order_id, row.quantity, row.status) for row in held] == [(order_id, 2, "RESERVED")]
    assert held[0].expires_at == requested_at + timedelta(minutes=30) + HOLD_GRACE
    assert level is not None
    assert (level.on_hand, level.reserved) == (5, 2)


async def test_a_checkout_request_beyond_the_stock_holds_nothing(
    resources: Resources, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    lamp = await catalog.product(seller, "Lamp", variants=[VariantSpec("LAMP", stock=5)])
    shade = await catalog.product(seller, "Shade", variants=[VariantSpec("SHADE", stock=1)])
    (lamp_variant,) = await catalog.variant_ids(lamp.id)
    (shade_variant,) = await catalog.variant_ids(shade.id)
    order_id = uuid.uuid4()

    await _deliver(
        resources, _checkout(order_id, {lamp_variant: 1, shade_variant: 2}, datetime.now(UTC))
    )

    async with resources.session_factory() as session:
        held = (await session.scalars(select(StockReservation))).all()
    (refused,) = await _published(resources, events.StockReservationFailed)
    assert (refused.order_id, refused.reason) == (order_id, "INSUFFICIENT_STOCK")
    assert [(line.variant_id, line.requested, line.available) for line in refused.lines] == [
        (shade_variant, 2, 1)
    ]
    assert held == [], "every line or none"
