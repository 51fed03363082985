"""SQL of stock: inventory levels and their audit trail, and reservations for orders."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, any_, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession

from domains.products.models import Inventory, InventoryMovement, StockReservation
from domains.products.repositories.sql import rows_where_in


@dataclass(frozen=True)
class StockLevel:
    variant_id: uuid.UUID
    on_hand: int
    reserved: int


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

    async def reserve(
        self, session: AsyncSession, wanted: Mapping[uuid.UUID, int]
    ) -> dict[uuid.UUID, StockLevel]:
        """Hold each variant's quantity where that many are available, in one statement;
        the levels after it of the variants held. A variant missing from the answer had
        too little (or no row): the caller rolls the whole reservation back.

        The rows are locked first, in variant order (the `locked` CTE, a row-locking
        query that Postgres runs before the update reads a row), so two orders over the
        same variants queue up instead of deadlocking. Each then re-checks its condition
        against the committed row it waited for: stock can neither be oversold nor go
        negative.
        """
        if not wanted:
            return {}
        ordered = sorted(wanted.items())
        # The lines as two bound arrays zipped by unnest, not a VALUES list written into
        # the SQL: the statement's text is then the same for any order, so it is compiled
        # once and prepared once per connection instead of for every reservation.
        variant_ids = bindparam(
            "variant_ids",
            [variant_id for variant_id, _ in ordered],
            type_=ARRAY(UUID(as_uuid=True)),
        )
        quantities = bindparam(
            "quantities", [quantity for _, quantity in ordered], type_=ARRAY(Integer)
        )
        rows = select(
            func.unnest(variant_ids).label("variant_id"),
            func.unnest(quantities).label("quantity"),
        ).subquery("wanted")
        locked = (
            select(Inventory.variant_id)
            .where(Inventory.variant_id == any_(variant_ids))
            .order_by(Inventory.variant_id)
            .with_for_update()
            .cte("locked")
        )
        result = await session.execute(
            update(Inventory)
            .where(
                Inventory.variant_id == locked.c.variant_id,
                Inventory.variant_id == rows.c.variant_id,
                Inventory.on_hand - Inventory.reserved >= rows.c.quantity,
            )
            .values(reserved=Inventory.reserved + rows.c.quantity, updated_at=func.now())
            .returning(Inventory.variant_id, Inventory.on_hand, Inventory.reserved)
        )
        return {
            row.variant_id: StockLevel(row.variant_id, row.on_hand, row.reserved) for row in result
        }

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

    async def add_all_unless_held(
        self, session: AsyncSession, rows: Sequence[dict[str, Any]]
    ) -> list[StockReservation]:
        """Insert the rows, in one statement, but none an order holds already (order,
        variant); those inserted, in variant order. Without an error for a row already
        there, no savepoint is needed around the insert for the transaction to go on."""
        if not rows:
            return []
        values = list(rows)
        inserted = await session.scalars(
            insert(StockReservation)
            .values(values)
            .on_conflict_do_nothing(
                index_elements=[StockReservation.order_id, StockReservation.variant_id]
            )
            .returning(StockReservation)
        )
        return sorted(inserted.all(), key=lambda row: row.variant_id)

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
