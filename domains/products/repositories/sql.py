"""SQL shapes the products repositories share: rows by a list of keys, id lists as
tables, uniqueness checks, and the newest rows of several owners in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam, func, select, true, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from domains.kit.db import all_rows

RowT = TypeVar("RowT")


async def rows_where_in(
    session: AsyncSession,
    model: type[RowT],
    column: InstrumentedAttribute[Any],
    values: Sequence[Any],
    *order_by: Any,
) -> Sequence[RowT]:
    """The rows of `model` whose `column` is one of `values` (in `order_by` order)."""
    return await all_rows(session, select(model).where(column.in_(values)).order_by(*order_by))


def uuid_values(name: str, ids: Sequence[uuid.UUID]) -> Any:
    """The ids as a one-column table, `unnest($1::uuid[]) AS name(id)`.

    One array parameter rather than a VALUES list keeps the SQL text the same whatever
    the ids, so SQLAlchemy compiles it once and Postgres can reuse the prepared plan.
    """
    array = bindparam(f"{name}_ids", list(ids), type_=ARRAY(PG_UUID(as_uuid=True)), unique=True)
    return func.unnest(array).table_valued("id", name=name).render_derived()


async def value_taken(
    session: AsyncSession,
    column: InstrumentedAttribute[Any],
    value: Any,
    id_column: InstrumentedAttribute[uuid.UUID],
    other_than: uuid.UUID | None,
) -> bool:
    """Whether a row other than `other_than` holds `value` in a unique column."""
    query = select(id_column).where(column == value)
    if other_than is not None:
        query = query.where(id_column != other_than)
    return (await session.scalar(query.limit(1))) is not None


async def newest_per_owner(
    session: AsyncSession,
    model: type[RowT],
    owner: InstrumentedAttribute[uuid.UUID],
    owner_ids: Sequence[uuid.UUID],
    *,
    columns: Sequence[Any],
    conditions: Sequence[ColumnElement[bool]] = (),
    alias: str = "owners",
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> Sequence[RowT]:
    """Each owner's newest `limit` rows of `model` after the keyset cursor, in one
    statement (a LATERAL page per owner id)."""
    owners = uuid_values(alias, owner_ids)
    table: Any = model
    created_at, row_id = table.created_at, table.id
    inner = (
        select(*columns)
        .where(owner == owners.c.id, *conditions)
        .order_by(created_at.desc(), row_id.desc())
        .limit(limit)
    )
    if after is not None:
        inner = inner.where(tuple_(created_at, row_id) < tuple_(*after))
    page = inner.lateral("page")
    return await all_rows(
        session, select(aliased(model, page)).select_from(owners).join(page, true())
    )
