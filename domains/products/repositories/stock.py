"""SQL of stock: inventory levels and their audit trail, and reservations for orders."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Executable,
    Integer,
    any_,
    bindparam,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domains.products.models import (
    Inventory,
    InventoryChange,
    InventoryMovement,
    ReservationStatus,
    StockReservation,
)
from domains.products.repositories.sql import rows_where_in


@dataclass(frozen=True)
class StockLevel:
    variant_id: uuid.UUID
    on_hand: int
    reserved: int


@dataclass(frozen=True)
class OrderHold:
    """What hold_for_order did: the levels after it of the variants held, and the
    reservations it wrote (in variant order)."""

    levels: dict[uuid.UUID, StockLevel]
    reservations: list[StockReservation]


class InventoryRepository:
    async def get_by_variant_ids(
        self, session: AsyncSession, variant_ids: Sequence[uuid.UUID]
    ) -> Sequence[Inventory]:
        return await rows_where_in(session, Inventory, Inventory.variant_id, variant_ids)

    async def adjust_on_hand(
        self, session: AsyncSession, variant_id: uuid.UUID, delta: int
    ) -> StockLevel | None:
        """Add `delta` to on hand unless that would leave less than is reserved.

        One conditional UPDATE: the check and the write are the same statement, so two
        concurrent adjustments cannot both pass a check made before the other wrote.
        """
        return await _change_level(
            session,
            variant_id,
            Inventory.on_hand + delta >= Inventory.reserved,
            on_hand=Inventory.on_hand + delta,
        )

    async def hold_for_order(
        self,
        session: AsyncSession,
        order_id: uuid.UUID,
        wanted: Mapping[uuid.UUID, int],
        expires_at: datetime,
    ) -> OrderHold:
        """Hold each variant's quantity where that many are available, and write the
        order's reservations and their audit rows, in one statement: one round trip where
        there were three, on the way to every checkout's answer. A variant missing from
        the levels had too little (or no row): the caller rolls the whole hold back.

        The inventory rows are locked first, in variant order (the `locked` CTE, a
        row-locking query that Postgres runs before the update reads a row), so two
        orders over the same variants queue up instead of deadlocking. Each then
        re-checks its condition against the committed row it waited for: stock can
        neither be oversold nor go negative. Each variant held gets a reservation, unless
        the order holds that variant already (then neither it nor its movement is
        written, and the caller gives the units back), and each reservation written a
        RESERVATION movement. The lines are bound as two arrays zipped by unnest, not a
        VALUES list written into the SQL: the statement is built once and prepared once
        per connection, whatever the order."""
        ordered = sorted(wanted.items())
        rows = await session.execute(
            _HOLD_FOR_ORDER,
            {
                "hold_order_id": order_id,
                "hold_variant_ids": [variant_id for variant_id, _ in ordered],
                "hold_quantities": [quantity for _, quantity in ordered],
                "hold_expires_at": expires_at,
            },
        )
        levels: dict[uuid.UUID, StockLevel] = {}
        reservations: list[StockReservation] = []
        for variant_id, on_hand, reserved, reservation in rows:
            levels[variant_id] = StockLevel(variant_id, on_hand, reserved)
            if reservation is not None:
                reservations.append(reservation)
        return OrderHold(levels, reservations)

    async def release(
        self, session: AsyncSession, variant_id: uuid.UUID, quantity: int
    ) -> StockLevel:
        return _found(
            await _change_level(session, variant_id, reserved=Inventory.reserved - quantity)
        )

    async def restock(
        self, session: AsyncSession, variant_id: uuid.UUID, quantity: int
    ) -> StockLevel:
        """Committed units come back on hand (their order was cancelled before shipping)."""
        return _found(
            await _change_level(session, variant_id, on_hand=Inventory.on_hand + quantity)
        )

    async def commit(
        self, session: AsyncSession, variant_id: uuid.UUID, quantity: int
    ) -> StockLevel:
        """The reserved units leave the warehouse: both on hand and reserved go down."""
        return _found(
            await _change_level(
                session,
                variant_id,
                on_hand=Inventory.on_hand - quantity,
                reserved=Inventory.reserved - quantity,
            )
        )

    async def get(self, session: AsyncSession, variant_id: uuid.UUID) -> Inventory | None:
        return await session.get(Inventory, variant_id)

    async def add_movements(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await session.execute(insert(InventoryMovement), list(rows))


class ReservationRepository:
    async def for_order(
        self, session: AsyncSession, order_id: uuid.UUID
    ) -> Sequence[StockReservation]:
        result = await session.scalars(
            select(StockReservation)
            .where(StockReservation.order_id == order_id)
            .order_by(StockReservation.variant_id)
        )
        return result.all()

    async def delete_for_order(self, session: AsyncSession, order_id: uuid.UUID) -> None:
        await session.execute(delete(StockReservation).where(StockReservation.order_id == order_id))

    async def close_for_order(
        self,
        session: AsyncSession,
        order_id: uuid.UUID,
        status: str,
        *,
        from_status: str = "RESERVED",
    ) -> Sequence[StockReservation]:
        """Move an order's lines in `from_status` (held ones, by default) to `status` and
        return them, in variant order.

        Claiming the rows with an UPDATE ... WHERE status = `from_status` means two callers
        (a payment and an expiry sweep) cannot both release the same units.
        """
        result = await session.scalars(
            update(StockReservation)
            .where(
                StockReservation.order_id == order_id,
                StockReservation.status == from_status,
            )
            .values(status=status, updated_at=func.now())
            .returning(StockReservation)
        )
        return sorted(result.all(), key=lambda row: row.variant_id)

    async def expired_orders(
        self, session: AsyncSession, now: datetime, limit: int
    ) -> list[uuid.UUID]:
        """Orders holding stock past their expiry, oldest first."""
        result = await session.scalars(
            select(StockReservation.order_id)
            .where(StockReservation.status == "RESERVED", StockReservation.expires_at <= now)
            .group_by(StockReservation.order_id)
            .order_by(func.min(StockReservation.expires_at))
            .limit(limit)
        )
        return list(result.all())


async def _change_level(
    session: AsyncSession,
    variant_id: uuid.UUID,
    *conditions: ColumnElement[bool],
    **values: Any,
) -> StockLevel | None:
    """One UPDATE of a variant's inventory row where `conditions` hold; the level after
    it, or None when no row matched."""
    row = (
        await session.execute(
            update(Inventory)
            .where(Inventory.variant_id == variant_id, *conditions)
            .values(**values, updated_at=func.now())
            .returning(Inventory.on_hand, Inventory.reserved)
        )
    ).one_or_none()
    return None if row is None else StockLevel(variant_id, row.on_hand, row.reserved)


def _found(level: StockLevel | None) -> StockLevel:
    # An unconditional change of a variant's own row: the row exists (its variant does).
    if level is None:
        raise NoResultFound("No inventory row for the variant.")
    return level


inventory_repository = InventoryRepository()
reservation_repository = ReservationRepository()


def _hold_for_order() -> Executable:
    # Parameter names unlike any column's: a parameter named after a column of a table
    # an UPDATE writes would be taken for a value to SET.
    variant_ids = bindparam("hold_variant_ids", type_=ARRAY(UUID(as_uuid=True)))
    quantities = bindparam("hold_quantities", type_=ARRAY(Integer))
    order_id = bindparam("hold_order_id", type_=UUID(as_uuid=True))
    wanted = select(
        func.unnest(variant_ids).label("variant_id"), func.unnest(quantities).label("quantity")
    ).subquery("wanted")
    locked = (
        select(Inventory.variant_id)
        .where(Inventory.variant_id == any_(variant_ids))
        .order_by(Inventory.variant_id)
        .with_for_update()
        .cte("locked")
    )
    updated = (
        update(Inventory)
        .where(
            Inventory.variant_id == locked.c.variant_id,
            Inventory.variant_id == wanted.c.variant_id,
            Inventory.on_hand - Inventory.reserved >= wanted.c.quantity,
        )
        .values(reserved=Inventory.reserved + wanted.c.quantity, updated_at=func.now())
        .returning(Inventory.variant_id, Inventory.on_hand, Inventory.reserved, wanted.c.quantity)
        .cte("updated")
    )
    held = (
        insert(StockReservation)
        .from_select(
            ["id", "order_id", "variant_id", "quantity", "status", "expires_at"],
            select(
                func.gen_random_uuid(),
                order_id,
                updated.c.variant_id,
                updated.c.quantity,
                literal(ReservationStatus.RESERVED.value),
                bindparam("hold_expires_at", type_=DateTime(timezone=True)),
            ),
        )
        .on_conflict_do_nothing(
            index_elements=[StockReservation.order_id, StockReservation.variant_id]
        )
        .returning(*StockReservation.__table__.c)
        .cte("held")
    )
    moved = (
        insert(InventoryMovement)
        .from_select(
            [
                "variant_id",
                "kind",
                "note",
                "on_hand_delta",
                "reserved_delta",
                "on_hand_after",
                "reserved_after",
                "order_id",
            ],
            select(
                updated.c.variant_id,
                literal(InventoryChange.RESERVATION.value),
                literal(""),
                literal(0),
                updated.c.quantity,
                updated.c.on_hand,
                updated.c.reserved,
                order_id,
            ).join_from(updated, held, held.c.variant_id == updated.c.variant_id),
        )
        .cte("moved")
    )
    reservation = aliased(StockReservation, held)
    return (
        select(updated.c.variant_id, updated.c.on_hand, updated.c.reserved, reservation)
        .select_from(updated)
        .outerjoin(reservation, held.c.variant_id == updated.c.variant_id)
        .add_cte(moved)
        .order_by(updated.c.variant_id)
    )


# Every checkout's hold, built once.
_HOLD_FOR_ORDER = _hold_for_order()
