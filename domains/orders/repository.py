"""Every SQL statement of the orders domain."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    bindparam,
    delete,
    exists,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import class_mapper
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Update

from domains.kit.db import all_rows, get_for_update
from domains.kit.events import Event, publish, written_within
from domains.kit.many_rows import ManyRows
from domains.orders.models import (
    EVENT_TABLES,
    EarlyStockAnswer,
    Order,
    OrderLine,
    OrderParcel,
    OrderStatus,
    OrderStatusChange,
)


class OrderRepository:
    async def insert_unless_exists(
        self, session: AsyncSession, values: dict[str, Any]
    ) -> Order | None:
        """Insert and return the row as stored; None when the order id or (customer,
        idempotency key) exists already."""
        return await session.scalar(
            insert(Order).values(**values).on_conflict_do_nothing().returning(Order)
        )

    async def get(self, session: AsyncSession, order_id: uuid.UUID) -> Order | None:
        return await session.scalar(
            select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
        )

    async def get_for_update(self, session: AsyncSession, order_id: uuid.UUID) -> Order | None:
        return await get_for_update(session, Order, order_id)

    async def locked_with_contents(self, session: AsyncSession, order_id: uuid.UUID) -> PlacedOrder:
        """The order locked FOR UPDATE, with its lines in position order and its parcels
        by seller, in one statement (the lines joined to the parcels: a few rows for an
        order of a few sellers). The answer to a checkout's stock reads all three on the
        way to the shopper."""
        rows = (await session.execute(_LOCKED_WITH_CONTENTS, {"of_order": order_id})).all()
        if not rows:
            return PlacedOrder(None, [], [])
        lines = list(dict.fromkeys(line for _, line, _ in rows if line is not None))
        parcels = list(dict.fromkeys(parcel for _, _, parcel in rows if parcel is not None))
        lines.sort(key=lambda line: line.position)
        parcels.sort(key=lambda parcel: parcel.seller_id)
        return PlacedOrder(rows[0][0], lines, parcels)

    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Order]:
        return await all_rows(session, select(Order).where(Order.id.in_(ids)))

    async def page_for_customer(
        self,
        session: AsyncSession,
        customer_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Order]:
        query = select(Order).where(Order.customer_id == customer_id)
        if after is not None:
            query = query.where(tuple_(Order.created_at, Order.id) < tuple_(*after))
        query = query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
        return await all_rows(session, query)

    async def page_for_seller(
        self,
        session: AsyncSession,
        seller_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Order]:
        query = select(Order).where(
            exists().where(OrderLine.order_id == Order.id, OrderLine.seller_id == seller_id)
        )
        if after is not None:
            query = query.where(tuple_(Order.created_at, Order.id) < tuple_(*after))
        query = query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
        return await all_rows(session, query)

    async def count_for_customer(self, session: AsyncSession, customer_id: uuid.UUID) -> int:
        query = select(func.count()).select_from(Order).where(Order.customer_id == customer_id)
        return int(await session.scalar(query) or 0)

    async def count_for_seller(self, session: AsyncSession, seller_id: uuid.UUID) -> int:
        query = (
            select(func.count())
            .select_from(Order)
            .where(exists().where(OrderLine.order_id == Order.id, OrderLine.seller_id == seller_id))
        )
        return int(await session.scalar(query) or 0)

    async def due_unpaid(self, session: AsyncSession, now: datetime, limit: int) -> list[uuid.UUID]:
        rows = await session.scalars(
            select(Order.id)
            .where(
                Order.status.in_([OrderStatus.PENDING.value, OrderStatus.AWAITING_PAYMENT.value]),
                Order.payment_due_at < now,
            )
            .order_by(Order.payment_due_at)
            .limit(limit)
        )
        return list(rows.all())


class LineRepository:
    async def for_orders(
        self, session: AsyncSession, order_ids: Sequence[uuid.UUID]
    ) -> list[OrderLine]:
        return await all_rows(
            session,
            select(OrderLine)
            .where(OrderLine.order_id.in_(order_ids))
            .order_by(OrderLine.order_id, OrderLine.position)
            .execution_options(populate_existing=True),
        )

    async def seller_has_line(
        self, session: AsyncSession, order_id: uuid.UUID, seller_id: uuid.UUID
    ) -> bool:
        found = await session.scalar(
            select(OrderLine.id)
            .where(and_(OrderLine.order_id == order_id, OrderLine.seller_id == seller_id))
            .limit(1)
        )
        return found is not None


class ParcelRepository:
    async def add_all(self, session: AsyncSession, parcels: Sequence[OrderParcel]) -> None:
        session.add_all(parcels)
        await session.flush()

    async def for_orders(
        self, session: AsyncSession, order_ids: Sequence[uuid.UUID]
    ) -> list[OrderParcel]:
        return await all_rows(
            session,
            select(OrderParcel)
            .where(OrderParcel.order_id.in_(order_ids))
            .order_by(OrderParcel.order_id, OrderParcel.seller_id)
            .execution_options(populate_existing=True),
        )


# Built once: every checkout's stock answer runs it. It locks the order's row alone
# (FOR UPDATE OF), and reads the lines and parcels with it.
_LOCKED_WITH_CONTENTS = (
    select(Order, OrderLine, OrderParcel)
    .outerjoin(OrderLine, OrderLine.order_id == Order.id)
    .outerjoin(OrderParcel, OrderParcel.order_id == Order.id)
    .where(Order.id == bindparam("of_order"))
    .with_for_update(of=Order)
    .execution_options(populate_existing=True)
)


AnnouncedT = TypeVar("AnnouncedT", bound=Event)


class PlacedOrder(NamedTuple):
    """An order, locked, with its lines and parcels; no order when none is placed."""

    order: Order | None
    lines: list[OrderLine]
    parcels: list[OrderParcel]


class PlacingRepository:
    async def add_contents(
        self,
        session: AsyncSession,
        lines: Sequence[OrderLine],
        parcels: Sequence[OrderParcel],
        status: str,
        *,
        announced: Callable[[], Event] | None = None,
    ) -> None:
        """A new order's lines, parcels and first status in one statement (the parcels
        and the status change as data-modifying CTEs): a checkout's placing is one round
        trip for all three, and no unit of work tracks objects nothing reads back. The
        event `announced` makes, if any, is written too: by the same statement where the
        process sends its own events."""
        if not lines:
            raise ValueError("an order has at least one line")
        parameters = {
            **_NEW_LINES.parameters(_rows(lines)),
            **_NEW_PARCELS.parameters(_rows(parcels)),
            "h_order_id": lines[0].order_id,
            "h_status": status,
        }
        event = None if announced is None else announced()
        written = None if event is None else written_within(session, EVENT_TABLES, [event])
        if written is not None:
            await session.execute(_ADD_CONTENTS_ANNOUNCED, parameters | written)
            return
        await session.execute(_ADD_CONTENTS, parameters)
        if event is not None:
            await publish(session, EVENT_TABLES, event)

    async def record_reservation(
        self,
        session: AsyncSession,
        order: Order,
        lines: Sequence[OrderLine],
        *,
        status: str,
        note: str,
        announced: Callable[[], AnnouncedT],
    ) -> AnnouncedT:
        """An order's stock answered, in one statement: its lines' snapshot of what was
        reserved (product, seller, name, SKU, unit price), its currency, its next status
        and sequence, the status's history row, and the event `announced` makes of the
        order as recorded (written to the outbox by the same statement where the process
        sends its own events). `order` and `lines` carry the values already; they are
        written here and so no longer pending for the unit of work, whose flush would
        have been two statements more on the way to the checkout's answer (and its
        bookkeeping the costliest part of the answer's Python). The event is returned."""
        sequence = order.status_sequence + 1
        parameters = {
            "o_id": order.id,
            "o_status": status,
            "o_sequence": sequence,
            "o_currency": order.currency,
            "o_note": note,
            "l_ids": [line.id for line in lines],
            "l_product_ids": [line.product_id for line in lines],
            "l_seller_ids": [line.seller_id for line in lines],
            "l_names": [line.product_name for line in lines],
            "l_skus": [line.sku for line in lines],
            "l_unit_prices": [line.unit_price for line in lines],
        }
        # The objects as the statement leaves the rows, for the announcement made of them.
        for key, value in (
            ("status", status),
            ("status_sequence", sequence),
            ("currency", order.currency),
        ):
            set_committed_value(order, key, value)
        for line in lines:
            for key in _RESERVED_LINE_COLUMNS:
                set_committed_value(line, key, getattr(line, key))
        event = announced()
        options = {"synchronize_session": False}
        written = written_within(session, EVENT_TABLES, [event])
        if written is None:
            await session.execute(_RECORD_RESERVATION, parameters, execution_options=options)
            await publish(session, EVENT_TABLES, event)
        else:
            await session.execute(
                _RECORD_RESERVATION_ANNOUNCED, parameters | written, execution_options=options
            )
        return event


_RESERVED_LINE_COLUMNS = ("product_id", "seller_id", "product_name", "sku", "unit_price")


def _record_reservation() -> Update:
    # Parameter names unlike any column's: a parameter named after a column of the
    # table an UPDATE writes would be taken for a value to SET.
    reserved = (
        func.unnest(
            bindparam("l_ids", type_=ARRAY(PG_UUID(as_uuid=True))),
            bindparam("l_product_ids", type_=ARRAY(PG_UUID(as_uuid=True))),
            bindparam("l_seller_ids", type_=ARRAY(PG_UUID(as_uuid=True))),
            bindparam("l_names", type_=ARRAY(String)),
            bindparam("l_skus", type_=ARRAY(String)),
            bindparam("l_unit_prices", type_=ARRAY(BigInteger)),
        )
        .table_valued("id", *_RESERVED_LINE_COLUMNS)
        .render_derived(name="reserved", with_types=False)
    )
    lines = (
        update(OrderLine)
        .where(OrderLine.id == reserved.c.id)
        .values({key: reserved.c[key] for key in _RESERVED_LINE_COLUMNS})
        .cte("lines")
    )
    history = (
        insert(OrderStatusChange)
        .values(order_id=bindparam("o_id"), status=bindparam("o_status"), note=bindparam("o_note"))
        .cte("history")
    )
    return (
        update(Order)
        .where(Order.id == bindparam("o_id"))
        .values(
            status=bindparam("o_status"),
            status_sequence=bindparam("o_sequence"),
            currency=bindparam("o_currency"),
            updated_at=func.now(),
        )
        .add_cte(lines)
        .add_cte(history)
    )


# Every checkout's stock answer, built once; and with its announcement written.
_RECORD_RESERVATION = _record_reservation()
_RECORD_RESERVATION_ANNOUNCED = EVENT_TABLES.with_events_written(_RECORD_RESERVATION)


def _columns(model: type[OrderLine] | type[OrderParcel]) -> list[str]:
    return [attribute.key for attribute in class_mapper(model).column_attrs]


# A new order's lines, parcels (none for an order without shipping) and first status,
# built once: the rows as arrays (kit/many_rows.py), so any number of them is the same
# statement, compiled once.
_NEW_LINES = ManyRows(OrderLine, _columns(OrderLine), name="new_lines")
_NEW_PARCELS = ManyRows(OrderParcel, _columns(OrderParcel), name="new_parcels")
_ADD_CONTENTS = (
    _NEW_LINES.insert()
    .add_cte(_NEW_PARCELS.insert().cte("parcels"))
    .add_cte(
        insert(OrderStatusChange)
        .values(order_id=bindparam("h_order_id"), status=bindparam("h_status"), note="")
        .cte("history")
    )
)
_ADD_CONTENTS_ANNOUNCED = EVENT_TABLES.with_events_written(_ADD_CONTENTS)


def _rows(objects: Sequence[OrderLine] | Sequence[OrderParcel]) -> list[dict[str, Any]]:
    """The column values of new, unsaved objects, each with its id (the model's default
    is the ORM's to apply, and these never reach the ORM)."""
    if not objects:
        return []
    columns = _columns(type(objects[0]))
    rows = []
    for item in objects:
        row = {key: getattr(item, key) for key in columns}
        if row["id"] is None:
            row["id"] = uuid.uuid4()
        rows.append(row)
    return rows


class HistoryRepository:
    async def add(self, session: AsyncSession, order_id: uuid.UUID, status: str, note: str) -> None:
        # A statement, not an object to flush: nothing reads the row back in the same
        # transaction, and the unit of work's bookkeeping (and the RETURNING of its id)
        # was the costliest part of recording a status change.
        await session.execute(
            insert(OrderStatusChange).values(order_id=order_id, status=status, note=note)
        )

    async def for_orders(
        self, session: AsyncSession, order_ids: Sequence[uuid.UUID]
    ) -> list[OrderStatusChange]:
        return await all_rows(
            session,
            select(OrderStatusChange)
            .where(OrderStatusChange.order_id.in_(order_ids))
            .order_by(OrderStatusChange.order_id, OrderStatusChange.id),
        )


class EarlyStockAnswerRepository:
    async def lock_order(self, session: AsyncSession, order_id: uuid.UUID) -> None:
        """Serialise, until the transaction ends, the work on one order's placing and
        its stock answer: each then sees what the other committed (neither can miss the
        other, as two transactions reading before either commits would)."""
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"orders:placing:{order_id}"},
        )

    async def keep(
        self, session: AsyncSession, order_id: uuid.UUID, name: str, payload: dict[str, Any]
    ) -> None:
        """The first answer stands: products answers an order once."""
        await session.execute(
            insert(EarlyStockAnswer)
            .values(order_id=order_id, name=name, payload=payload)
            .on_conflict_do_nothing()
        )

    async def take(self, session: AsyncSession, order_id: uuid.UUID) -> EarlyStockAnswer | None:
        return await session.scalar(
            delete(EarlyStockAnswer)
            .where(EarlyStockAnswer.order_id == order_id)
            .returning(EarlyStockAnswer)
        )


order_repository = OrderRepository()
early_stock_answers = EarlyStockAnswerRepository()
line_repository = LineRepository()
parcel_repository = ParcelRepository()
history_repository = HistoryRepository()
placing_repository = PlacingRepository()
