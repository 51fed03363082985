"""Stock reservation for checkout: all or nothing, never oversold, released or committed once.

Each reservation runs in its own transaction on its own pooled connection, as concurrent
checkouts would.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from domains.kit.cache import EntityCache
from domains.kit.db import transaction
from domains.kit.errors import InputErrors
from domains.kit.resources import Resources
from domains.products import events
from domains.products.models import Inventory, InventoryMovement, StockReservation
from domains.products.services.order_stock import order_stock
from domains.products.services.stock import StockLine, stock
from domains.products.sweeper import sweep_once
from tests.domains.products.helpers import Catalog, VariantSpec, table_snapshot
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter

ROUNDS = 20
CHECKOUTS = 50
UNITS = 5


async def _reserve(
    resources: Resources, order_id: uuid.UUID, lines: Sequence[StockLine]
) -> list[StockReservation] | InputErrors:
    try:
        async with transaction(resources.session_factory) as session:
            held = await stock.reserve(session, order_id, lines)
        await EntityCache.from_settings(resources.redis, resources.settings).invalidate_stale(
            session
        )
    except InputErrors as error:
        return error
    return held


async def _levels(resources: Resources, variant_id: uuid.UUID) -> tuple[int, int]:
    async with resources.session_factory() as session:
        row = await session.get(Inventory, variant_id)
        assert row is not None
        return row.on_hand, row.reserved


async def _variant(catalog: Catalog, stock_units: int, name: str = "Linen Shirt") -> uuid.UUID:
    seller = await catalog.seller()
    product = await catalog.product(
        seller, name, variants=[VariantSpec(catalog.next_sku(), stock=stock_units)]
    )
    return (await catalog.variant_ids(product.id))[0]


@pytest.mark.parametrize("round_", range(1, ROUNDS + 1), ids=lambda n: f"round {n}/{ROUNDS}")
async def test_fifty_concurrent_checkouts_for_five_units_sell_exactly_five(
    catalog: Catalog, resources: Resources, round_: int
) -> None:
    variant_id = await _variant(catalog, UNITS)
    orders = [uuid.uuid4() for _ in range(CHECKOUTS)]

    outcomes = await asyncio.gather(
        *(_reserve(resources, order, [StockLine(variant_id, 1)]) for order in orders)
    )

    succeeded = [outcome for outcome in outcomes if not isinstance(outcome, InputErrors)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, InputErrors)]
    assert len(succeeded) == UNITS
    assert {error.errors[0].code.value for error in refused} == {"INSUFFICIENT_STOCK"}
    assert await _levels(resources, variant_id) == (UNITS, UNITS)
    async with resources.session_factory() as session:
        held = await session.scalar(
            select(func.sum(StockReservation.quantity)).where(
                StockReservation.variant_id == variant_id
            )
        )
        movements = await session.scalar(
            select(func.count())
            .select_from(InventoryMovement)
            .where(InventoryMovement.kind == "RESERVATION")
        )
    assert held == UNITS
    assert movements == UNITS


async def test_a_reservation_is_all_or_nothing(catalog: Catalog, resources: Resources) -> None:
    plenty = await _variant(catalog, 10, "Plenty")
    scarce = await _variant(catalog, 1, "Scarce")
    before = await table_snapshot(resources)

    outcome = await _reserve(
        resources,
        uuid.uuid4(),
        [StockLine(plenty, 3), StockLine(scarce, 2), StockLine(uuid.uuid4(), 1)],
    )

    assert isinstance(outcome, InputErrors)
    assert [(e.field, e.code.value, e.message) for e in outcome.errors] == [
        ("lines.1.quantity", "INSUFFICIENT_STOCK", "Only 1 available (asked for 2)."),
        ("lines.2.variantId", "NOT_FOUND", "No such variant."),
    ]
    assert await table_snapshot(resources) == before


async def test_bad_lines_are_refused_before_touching_stock(
    catalog: Catalog, resources: Resources
) -> None:
    variant_id = await _variant(catalog, 5)

    empty = await _reserve(resources, uuid.uuid4(), [])
    zero = await _reserve(resources, uuid.uuid4(), [StockLine(variant_id, 0)])

    assert isinstance(empty, InputErrors)
    assert [e.code.value for e in empty.errors] == ["REQUIRED"]
    assert isinstance(zero, InputErrors)
    assert [(e.field, e.code.value) for e in zero.errors] == [
        ("lines.0.quantity", "INVALID_QUANTITY")
    ]
    assert await _levels(resources, variant_id) == (5, 0)


async def test_release_gives_stock_back_once(catalog: Catalog, resources: Resources) -> None:
    variant_id = await _variant(catalog, 5)
    order = uuid.uuid4()
    assert not isinstance(await _reserve(resources, order, [StockLine(variant_id, 2)]), InputErrors)

    async with transaction(resources.session_factory) as session:
        released = await stock.release(session, order)
    async with transaction(resources.session_factory) as session:
        again = await stock.release(session, order)

    assert [(row.quantity, row.status) for row in released] == [(2, "RELEASED")]
    assert again == []
    assert await _levels(resources, variant_id) == (5, 0)


async def test_commit_takes_the_units_out_of_stock_once(
    catalog: Catalog, resources: Resources
) -> None:
    first = await _variant(catalog, 5, "First")
    second = await _variant(catalog, 3, "Second")
    order = uuid.uuid4()
    held = await _reserve(resources, order, [StockLine(first, 2), StockLine(second, 1)])
    assert not isinstance(held, InputErrors)

    results = []
    for _ in range(2):
        async with transaction(resources.session_factory) as session:
            results.append(await stock.commit(session, order))

    assert len(results[0]) == 2
    assert results[1] == []
    assert await _levels(resources, first) == (3, 0)
    assert await _levels(resources, second) == (2, 0)
    async with resources.session_factory() as session:
        kinds = (
            await session.execute(
                select(InventoryMovement.kind, InventoryMovement.on_hand_delta)
                .where(InventoryMovement.order_id == order)
                .order_by(InventoryMovement.id)
            )
        ).all()
        statuses = set((await session.scalars(select(StockReservation.status))).all())
    assert sorted(tuple(row) for row in kinds) == [
        ("COMMIT", -2),
        ("COMMIT", -1),
        ("RESERVATION", 0),
        ("RESERVATION", 0),
    ]
    assert statuses == {"COMMITTED"}


async def test_a_retried_reservation_is_idempotent_and_a_different_one_is_refused(
    catalog: Catalog, resources: Resources
) -> None:
    variant_id = await _variant(catalog, 5)
    order = uuid.uuid4()

    first = await _reserve(resources, order, [StockLine(variant_id, 2)])
    retried = await _reserve(resources, order, [StockLine(variant_id, 1), StockLine(variant_id, 1)])
    changed = await _reserve(resources, order, [StockLine(variant_id, 3)])

    assert not isinstance(first, InputErrors)
    assert not isinstance(retried, InputErrors)
    assert [row.id for row in retried] == [row.id for row in first]
    assert isinstance(changed, InputErrors)
    assert [e.code.value for e in changed.errors] == ["ALREADY_RESERVED"]
    assert await _levels(resources, variant_id) == (5, 2)


async def test_expired_holds_are_released(catalog: Catalog, resources: Resources) -> None:
    variant_id = await _variant(catalog, 5)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    async with transaction(resources.session_factory) as session:
        await stock.reserve(
            session,
            uuid.uuid4(),
            [StockLine(variant_id, 2)],
            hold_for=timedelta(minutes=15),
            now=now,
        )
        await stock.reserve(
            session, uuid.uuid4(), [StockLine(variant_id, 1)], hold_for=timedelta(hours=2), now=now
        )

    released = await sweep_once(resources, now=now + timedelta(minutes=30))
    again = await sweep_once(resources, now=now + timedelta(minutes=30))

    assert (released, again) == (1, 0)
    assert await _levels(resources, variant_id) == (5, 1)


async def test_selling_out_and_restocking_show_in_listings_at_once(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    product = await catalog.product(
        seller,
        variants=[
            VariantSpec("ONE-LEFT", stock=1),
            VariantSpec("SOLD-OUT", stock=0, options=[("Size", "L")]),
        ],
    )
    variant_id = (await catalog.variant_ids(product.id))[0]
    query = """query($id: ID!) {
      product(id: $id) { inStock }
      products(filter: {inStock: true}) { totalCount }
    }"""

    async def state() -> Any:
        return (await products_client.execute(query, {"id": str(product.id)})).ok()

    assert await state() == {"product": {"inStock": True}, "products": {"totalCount": 1}}

    order = uuid.uuid4()
    assert not isinstance(await _reserve(resources, order, [StockLine(variant_id, 1)]), InputErrors)
    assert await state() == {"product": {"inStock": False}, "products": {"totalCount": 0}}

    async with catalog.write() as session:
        await stock.release(session, order)
    assert await state() == {"product": {"inStock": True}, "products": {"totalCount": 1}}

    again = await _reserve(resources, order, [StockLine(variant_id, 1)])
    assert not isinstance(again, InputErrors), "a released order may hold stock again"
    async with catalog.write() as session:
        await stock.commit(session, order)
    assert await state() == {"product": {"inStock": False}, "products": {"totalCount": 0}}
    assert await _levels(resources, variant_id) == (0, 0)


async def test_the_database_itself_refuses_to_reserve_more_than_is_on_hand(
    catalog: Catalog, resources: Resources
) -> None:
    variant_id = await _variant(catalog, 2)

    for values in ({"reserved": 3}, {"on_hand": -1}, {"reserved": -1}):
        with pytest.raises(IntegrityError, match="ck_inventory_"):
            async with transaction(resources.session_factory) as session:
                await session.execute(
                    update(Inventory).where(Inventory.variant_id == variant_id).values(**values)
                )

    assert await _levels(resources, variant_id) == (2, 0)


@pytest.mark.parametrize("units", [1, 3], ids=["short", "held"])
async def test_an_order_of_one_variant_is_answered_without_a_savepoint(
    catalog: Catalog, resources: Resources, sql_counter: SqlCounter, units: int
) -> None:
    variant_id = await _variant(catalog, units)
    order = uuid.uuid4()
    sql_counter.reset()

    async with transaction(resources.session_factory) as session:
        await order_stock.reserve_for_order(
            session,
            events.OrderPlaced(
                order_id=order,
                lines=[events.OrderLineRequest(variant_id=variant_id, quantity=2)],
                payment_due_at=datetime.now(UTC) + timedelta(minutes=30),
            ),
        )

    assert not [s for s in sql_counter.statements if "SAVEPOINT" in s.upper()]
    answered = [s for s in sql_counter.statements if "products.outbox" in s]
    # Held: the answer and the level it leaves, together; short: the refusal.
    assert len(answered) == 1, "the answer is one statement of the same transaction"
    # Short: nothing held, nothing left behind; enough: the two units held.
    assert await _levels(resources, variant_id) == ((1, 0) if units == 1 else (3, 2))


async def test_a_concurrent_reserve_for_the_same_order_gives_its_units_back(
    catalog: Catalog, resources: Resources
) -> None:
    variant_id = await _variant(catalog, 5)
    order = uuid.uuid4()

    async def refused_and_committed() -> InputErrors | None:
        # As the products consumer does: the refusal is caught and the transaction
        # commits (with the refusal's event), so what the refused reserve wrote stays.
        async with transaction(resources.session_factory) as session:
            try:
                await stock.reserve(session, order, [StockLine(variant_id, 2)])
            except InputErrors as error:
                return error
        return None

    async with transaction(resources.session_factory) as first:
        await stock.reserve(first, order, [StockLine(variant_id, 2)])
        # The second finds no reservation yet, then waits for the first's row lock.
        second = asyncio.create_task(refused_and_committed())
        await asyncio.sleep(0.3)
        assert not second.done()
    outcome = await second

    assert isinstance(outcome, InputErrors)
    assert [e.code.value for e in outcome.errors] == ["ALREADY_RESERVED"]
    assert await _levels(resources, variant_id) == (5, 2)
    async with resources.session_factory() as session:
        rows = await session.scalar(
            select(func.count())
            .select_from(StockReservation)
            .where(StockReservation.order_id == order)
        )
        movements = await session.scalar(
            select(func.count())
            .select_from(InventoryMovement)
            .where(InventoryMovement.order_id == order)
        )
    assert rows == 1
    assert movements == 1, "the units given back were never recorded as held"


async def test_a_hold_its_reservation_and_its_audit_row_are_one_statement(
    catalog: Catalog, resources: Resources, sql_counter: SqlCounter
) -> None:
    variant_id = await _variant(catalog, 5)
    order = uuid.uuid4()
    sql_counter.reset()

    async with transaction(resources.session_factory) as session:
        held = await stock.reserve(session, order, [StockLine(variant_id, 2)])

    writing = [
        statement
        for statement in sql_counter.statements
        if any(
            table in statement
            for table in ("products.inventory ", "stock_reservations", "inventory_movements")
        )
        and not statement.lstrip().upper().startswith("SELECT PRODUCTS.STOCK_RESERVATIONS")
    ]
    assert len(writing) == 1, writing
    assert [(row.variant_id, row.quantity, row.status) for row in held] == [
        (variant_id, 2, "RESERVED")
    ]
    async with resources.session_factory() as session:
        movement = (
            await session.scalars(
                select(InventoryMovement).where(InventoryMovement.order_id == order)
            )
        ).one()
    assert (movement.kind, movement.reserved_delta, movement.on_hand_after) == ("RESERVATION", 2, 5)
    assert (movement.reserved_after, movement.on_hand_delta, movement.note) == (2, 0, "")
