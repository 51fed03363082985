"""Stock: adjusting what is on hand, holding it for orders (reserve, release, commit,
restock), and what every stock change publishes and makes stale."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Viewer
from domains.kit.cache import mark_stale
from domains.kit.errors import InputErrors, quoted
from domains.kit.events import Event, savepoint
from domains.products import cache as keys
from domains.products import events
from domains.products.models import (
    AdjustmentReason,
    Inventory,
    InventoryChange,
    ReservationStatus,
    StockReservation,
)
from domains.products.repositories.catalog import product_repository
from domains.products.repositories.stock import (
    StockLevel,
    inventory_repository,
    reservation_repository,
)
from domains.products.repositories.variants import variant_repository
from domains.products.services.actors import catalog_editor, ensure_can_edit
from domains.products.services.validation import Code, Errors, clean_text, now_utc

MAX_STOCK_CHANGE = 1_000_000
DEFAULT_HOLD = timedelta(minutes=15)


def movement(
    level: StockLevel,
    kind: InventoryChange,
    *,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    reason: AdjustmentReason | None = None,
    note: str = "",
    actor_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "variant_id": level.variant_id,
        "kind": kind.value,
        "reason": None if reason is None else reason.value,
        "note": note,
        "on_hand_delta": on_hand_delta,
        "reserved_delta": reserved_delta,
        "on_hand_after": level.on_hand,
        "reserved_after": level.reserved,
        "actor_id": actor_id,
        "order_id": order_id,
    }


@dataclass(frozen=True)
class StockChange:
    level: StockLevel
    available_before: int
    order_id: uuid.UUID | None = None  # the order it was made for, if any

    @property
    def crossed_zero(self) -> bool:
        return (self.available_before > 0) != (self.level.on_hand - self.level.reserved > 0)


async def after_stock_changes(
    session: AsyncSession, changes: Sequence[StockChange], also: Sequence[Event] = ()
) -> None:
    """Keep products' `in_stock` true to their variants, and record what went stale.

    Only a variant selling out or coming back can flip its product, so the products are
    touched (and listings dropped from the cache) only then. Callers have locked the
    inventory rows already; the product rows are locked after them, in id order.
    `also`: events the caller announces with the levels, written in the same statement.
    """
    # Carts keep a hint of what can be ordered (merging carts caps by it).
    levels = [
        events.StockLevelChanged(
            variant_id=change.level.variant_id,
            available=change.level.on_hand - change.level.reserved,
            changed_at=now_utc(),
            order_id=change.order_id,
        )
        for change in changes
    ]
    await events.publish_all(session, [*levels, *also])
    stale = [keys.inventory(change.level.variant_id) for change in changes]
    crossed = [change.level.variant_id for change in changes if change.crossed_zero]
    if crossed:
        flipped = await product_repository.refresh_stock_flags(session, crossed)
        for product_id, slug in flipped:
            stale += [keys.product(product_id), keys.product_slug(slug)]
        if flipped:
            stale.append(keys.SEARCH_GENERATION)
    mark_stale(session, *stale)


class InventoryService:
    async def adjust(
        self,
        session: AsyncSession,
        viewer: Viewer,
        variant_id: uuid.UUID,
        *,
        delta: int,
        reason: str,
        note: str | None = None,
    ) -> Inventory:
        actor = await catalog_editor(session, viewer)
        found = await variant_repository.get_by_ids(session, [variant_id])
        products = (
            await product_repository.get_by_ids(session, [found[0].product_id]) if found else []
        )
        if not found or not products:
            raise InputErrors.single("variantId", Code.NOT_FOUND, "No such variant.")
        ensure_can_edit(actor, products[0])
        errors = Errors()
        if delta == 0 or abs(delta) > MAX_STOCK_CHANGE:
            errors.add(
                "delta",
                Code.INVALID_QUANTITY,
                f"`delta` must be a non-zero change of at most {MAX_STOCK_CHANGE} units "
                f"(got {delta}).",
            )
        try:
            why = AdjustmentReason(reason)
        except ValueError:
            errors.add("reason", Code.INVALID, f"{quoted(reason)} is not an adjustment reason.")
        clean_note = errors.check(
            lambda: clean_text(note or "", "note", max_length=500, required=False)
        )
        errors.raise_if_any()

        level = await inventory_repository.adjust_on_hand(session, variant_id, delta)
        if level is None:
            current = await inventory_repository.get(session, variant_id)
            on_hand, reserved = (0, 0) if current is None else (current.on_hand, current.reserved)
            raise InputErrors.single(
                "delta",
                Code.INSUFFICIENT_STOCK,
                f"Cannot remove {-delta}: {on_hand} on hand, of which {reserved} reserved.",
            )
        await inventory_repository.add_movements(
            session,
            [
                movement(
                    level,
                    InventoryChange.ADJUSTMENT,
                    on_hand_delta=delta,
                    reason=why,
                    note=clean_note or "",
                    actor_id=actor.user_id,
                )
            ],
        )
        await after_stock_changes(
            session, [StockChange(level, level.on_hand - delta - level.reserved)]
        )
        return Inventory(variant_id=variant_id, on_hand=level.on_hand, reserved=level.reserved)

    async def get_by_variant_ids(
        self, session: AsyncSession, variant_ids: Sequence[uuid.UUID]
    ) -> Sequence[Inventory]:
        """Stock levels, for the GraphQL loaders."""
        return await inventory_repository.get_by_variant_ids(session, variant_ids)


@dataclass(frozen=True)
class StockLine:
    variant_id: uuid.UUID
    quantity: int


class StockService:
    """Holding stock for orders: what checkout calls.

    `reserve` is all or nothing and safe under concurrency: each line is one conditional
    UPDATE (see InventoryRepository.reserve), taken in variant-id order so two orders
    locking the same variants cannot deadlock, and any shortfall raises having written
    nothing (see reserve), so the caller's transaction can go on to record the refusal.
    `release` and `commit` claim the order's reservations
    with one UPDATE first, so each unit is given back or shipped exactly once.
    """

    async def reserve(
        self,
        session: AsyncSession,
        order_id: uuid.UUID,
        lines: Sequence[StockLine],
        *,
        hold_for: timedelta = DEFAULT_HOLD,
        now: datetime | None = None,
        also: Sequence[Event] = (),
    ) -> list[StockReservation]:
        """`also`: events announcing the hold, written with the levels it leaves when it
        holds (and when a retried call finds it done), and not at all when it fails."""
        wanted = self._merge(lines)
        existing = await reservation_repository.for_order(session, order_id)
        lapsed = False
        if existing:
            statuses = {row.status for row in existing}
            held = {row.variant_id: row.quantity for row in existing}
            if statuses == {ReservationStatus.RESERVED.value} and held == wanted:
                await events.publish_all(session, also)
                return list(existing)  # a retried call: already done
            if statuses != {ReservationStatus.RELEASED.value}:
                raise InputErrors.single(
                    "orderId",
                    Code.ALREADY_RESERVED,
                    "Stock is already reserved for this order, or was sold to it.",
                )
            lapsed = True
        # All or nothing, and nothing written when it fails. One variant's conditional
        # UPDATE holds it or writes nothing, so holding one variant needs no savepoint to
        # roll back to, and most orders hold one: two round trips less on the way to a
        # checkout's answer. Several variants (the UPDATE may hold some before another
        # falls short), or lapsed holds to delete first, are held in a savepoint.
        if len(wanted) > 1 or lapsed:
            async with savepoint(session):
                if lapsed:
                    # The previous hold lapsed or was cancelled: the order may hold again.
                    await reservation_repository.delete_for_order(session, order_id)
                return await self._hold(session, order_id, lines, wanted, hold_for, now, also)
        return await self._hold(session, order_id, lines, wanted, hold_for, now, also)

    async def _hold(
        self,
        session: AsyncSession,
        order_id: uuid.UUID,
        lines: Sequence[StockLine],
        wanted: dict[uuid.UUID, int],
        hold_for: timedelta,
        now: datetime | None,
        also: Sequence[Event],
    ) -> list[StockReservation]:
        errors = Errors()
        changes: list[StockChange] = []
        positions = {line.variant_id: index for index, line in enumerate(lines)}
        # Every line in one statement, with its reservation and audit row; a short line
        # fails them all (the savepoint rolls back the lines that were held; with one
        # line, none was).
        expires_at = (now or now_utc()) + hold_for
        hold = await inventory_repository.hold_for_order(session, order_id, wanted, expires_at)
        for variant_id in sorted(wanted):
            quantity = wanted[variant_id]
            level = hold.levels.get(variant_id)
            if level is None:
                await self._shortage(session, variant_id, quantity, positions, errors)
                continue
            changes.append(StockChange(level, level.on_hand - level.reserved + quantity, order_id))
        # Locks are taken in variant order; problems are reported in the caller's order.
        errors.items.sort(key=lambda item: int((item.field or "lines.0").split(".")[1]))
        errors.raise_if_any()
        if len(hold.reservations) < len(wanted):
            # A concurrent reserve for the same order got there first: the units this
            # one took go back (within a savepoint, rolling back to it does the same).
            for variant_id, quantity in sorted(wanted.items()):
                await inventory_repository.release(session, variant_id, quantity)
            raise InputErrors.single(
                "orderId", Code.ALREADY_RESERVED, "Stock is already reserved for this order."
            )
        await after_stock_changes(session, changes, also)
        return hold.reservations

    def _merge(self, lines: Sequence[StockLine]) -> dict[uuid.UUID, int]:
        errors = Errors()
        if not lines:
            errors.add("lines", Code.REQUIRED, "Reserve at least one line.")
        wanted: dict[uuid.UUID, int] = {}
        for index, line in enumerate(lines):
            if not (0 < line.quantity <= MAX_STOCK_CHANGE):
                errors.add(
                    f"lines.{index}.quantity",
                    Code.INVALID_QUANTITY,
                    f"A quantity is between 1 and {MAX_STOCK_CHANGE} (got {line.quantity}).",
                )
            wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.quantity
        errors.raise_if_any()
        return wanted

    async def _shortage(
        self,
        session: AsyncSession,
        variant_id: uuid.UUID,
        quantity: int,
        positions: dict[uuid.UUID, int],
        errors: Errors,
    ) -> None:
        current = await inventory_repository.get(session, variant_id)
        index = positions[variant_id]
        if current is None:
            errors.add(f"lines.{index}.variantId", Code.NOT_FOUND, "No such variant.")
        else:
            errors.add(
                f"lines.{index}.quantity",
                Code.INSUFFICIENT_STOCK,
                f"Only {max(current.on_hand - current.reserved, 0)} available "
                f"(asked for {quantity}).",
            )

    async def release(self, session: AsyncSession, order_id: uuid.UUID) -> list[StockReservation]:
        """Give an order's held stock back (cancelled, expired). Idempotent."""
        return await self._close(session, order_id, ReservationStatus.RELEASED)

    async def commit(self, session: AsyncSession, order_id: uuid.UUID) -> list[StockReservation]:
        """The order is paid: its held units leave stock for good. Idempotent."""
        return await self._close(session, order_id, ReservationStatus.COMMITTED)

    async def restock(self, session: AsyncSession, order_id: uuid.UUID) -> list[StockReservation]:
        """A paid order was cancelled before it shipped: its committed units go back on
        hand. Idempotent, like release and commit."""
        rows = await reservation_repository.close_for_order(
            session,
            order_id,
            ReservationStatus.RESTOCKED.value,
            from_status=ReservationStatus.COMMITTED.value,
        )
        movements: list[dict[str, Any]] = []
        changes: list[StockChange] = []
        for row in rows:
            level = await inventory_repository.restock(session, row.variant_id, row.quantity)
            movements.append(
                movement(
                    level, InventoryChange.RESTOCK, on_hand_delta=row.quantity, order_id=order_id
                )
            )
            changes.append(
                StockChange(level, level.on_hand - level.reserved - row.quantity, order_id)
            )
        await inventory_repository.add_movements(session, movements)
        await after_stock_changes(session, changes)
        return list(rows)

    async def expired_orders(
        self, session: AsyncSession, *, now: datetime | None = None, limit: int = 100
    ) -> list[uuid.UUID]:
        """Orders whose hold lapsed, oldest first: release each in its own unit of work
        (one order's locks at a time, in the same order as a checkout takes them)."""
        return await reservation_repository.expired_orders(session, now or now_utc(), limit)

    async def _close(
        self, session: AsyncSession, order_id: uuid.UUID, status: ReservationStatus
    ) -> list[StockReservation]:
        rows = await reservation_repository.close_for_order(session, order_id, status.value)
        movements: list[dict[str, Any]] = []
        changes: list[StockChange] = []
        committed = status is ReservationStatus.COMMITTED
        for row in rows:
            if committed:
                level = await inventory_repository.commit(session, row.variant_id, row.quantity)
                # On hand and reserved drop together: what is available does not move.
                available_before = level.on_hand - level.reserved
            else:
                level = await inventory_repository.release(session, row.variant_id, row.quantity)
                available_before = level.on_hand - level.reserved - row.quantity
            movements.append(
                movement(
                    level,
                    InventoryChange.COMMIT if committed else InventoryChange.RELEASE,
                    on_hand_delta=-row.quantity if committed else 0,
                    reserved_delta=-row.quantity,
                    order_id=order_id,
                )
            )
            changes.append(StockChange(level, available_before, order_id))
        await inventory_repository.add_movements(session, movements)
        await after_stock_changes(session, changes)
        return list(rows)


inventory = InventoryService()
stock = StockService()
