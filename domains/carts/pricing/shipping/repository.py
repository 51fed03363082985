"""Every SQL statement of shipping: zones, methods and their rates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, any_, bindparam, delete, exists, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from domains.carts.pricing.shipping.models import ShippingMethod, ShippingRate, ShippingZone
from domains.kit.db import all_rows, get_for_update


def _owned_by(
    column: InstrumentedAttribute[uuid.UUID | None], seller_id: uuid.UUID | None
) -> ColumnElement[bool]:
    """Rows of this seller, or the platform's (seller_id None)."""
    return column.is_(None) if seller_id is None else column == seller_id


class ZoneRepository:
    async def add(self, session: AsyncSession, zone: ShippingZone) -> ShippingZone:
        session.add(zone)
        await session.flush()
        await session.refresh(zone)
        return zone

    async def get_for_update(
        self, session: AsyncSession, zone_id: uuid.UUID
    ) -> ShippingZone | None:
        return await get_for_update(session, ShippingZone, zone_id)

    async def get_many(
        self, session: AsyncSession, zone_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, ShippingZone]:
        if not zone_ids:
            return {}
        rows = await all_rows(session, select(ShippingZone).where(ShippingZone.id.in_(zone_ids)))
        return {row.id: row for row in rows}

    async def listed(
        self, session: AsyncSession, seller_id: uuid.UUID | None, *, every_owner: bool
    ) -> list[ShippingZone]:
        statement = select(ShippingZone).order_by(ShippingZone.name, ShippingZone.id)
        if not every_owner:
            statement = statement.where(_owned_by(ShippingZone.seller_id, seller_id))
        return await all_rows(session, statement)

    async def used_by_active_method(self, session: AsyncSession, zone_id: uuid.UUID) -> bool:
        used = await session.scalar(
            select(
                exists()
                .where(ShippingRate.zone_id == zone_id)
                .where(ShippingRate.method_id == ShippingMethod.id)
                .where(ShippingMethod.ended_at.is_(None))
            )
        )
        return bool(used)

    async def delete(self, session: AsyncSession, zone: ShippingZone) -> None:
        await session.delete(zone)
        await session.flush()


class MethodRepository:
    async def add(self, session: AsyncSession, method: ShippingMethod) -> ShippingMethod:
        session.add(method)
        await session.flush()
        await session.refresh(method)
        return method

    async def get_for_update(
        self, session: AsyncSession, method_id: uuid.UUID
    ) -> ShippingMethod | None:
        return await get_for_update(session, ShippingMethod, method_id)

    async def listed(
        self, session: AsyncSession, seller_id: uuid.UUID | None, *, every_owner: bool
    ) -> list[ShippingMethod]:
        statement = select(ShippingMethod).order_by(
            ShippingMethod.seller_id.nulls_first(), ShippingMethod.name, ShippingMethod.id
        )
        if not every_owner:
            statement = statement.where(_owned_by(ShippingMethod.seller_id, seller_id))
        return await all_rows(session, statement)

    async def priced_for_sellers_and_platform(
        self, session: AsyncSession, seller_ids: Sequence[uuid.UUID]
    ) -> tuple[list[ShippingMethod], list[ShippingRate], dict[uuid.UUID, ShippingZone]]:
        """In one statement: the methods of these sellers and the platform's, ended ones
        too (whether the platform configured any method at all decides the built-in
        default); the rates of those not ended, cheapest first per method; the zones
        those rates price."""
        parameters = {"seller_ids": list(seller_ids)}
        rows = (await session.execute(_PRICED_FOR_SELLERS_AND_PLATFORM, parameters)).all()
        methods = list(dict.fromkeys(method for method, _rate, _zone in rows))
        rates = [rate for _method, rate, _zone in rows if rate is not None]
        zones = {zone.id: zone for _method, _rate, zone in rows if zone is not None}
        return methods, rates, zones


class RateRepository:
    async def for_methods(
        self, session: AsyncSession, method_ids: Sequence[uuid.UUID]
    ) -> list[ShippingRate]:
        if not method_ids:
            return []
        return await all_rows(
            session,
            select(ShippingRate)
            .where(ShippingRate.method_id.in_(method_ids))
            .order_by(ShippingRate.method_id, ShippingRate.price),
        )

    async def replace(
        self, session: AsyncSession, method_id: uuid.UUID, prices: Sequence[tuple[uuid.UUID, int]]
    ) -> None:
        """The method's rates become exactly `prices` (zone id, price)."""
        await session.execute(delete(ShippingRate).where(ShippingRate.method_id == method_id))
        session.add_all(
            ShippingRate(method_id=method_id, zone_id=zone_id, price=price)
            for zone_id, price in prices
        )
        await session.flush()


# Every quote and every checkout prices its parcels with this: built once.
_PRICED_FOR_SELLERS_AND_PLATFORM = (
    select(ShippingMethod, ShippingRate, ShippingZone)
    .outerjoin(
        ShippingRate,
        and_(ShippingRate.method_id == ShippingMethod.id, ShippingMethod.ended_at.is_(None)),
    )
    .outerjoin(ShippingZone, ShippingZone.id == ShippingRate.zone_id)
    .where(
        or_(
            ShippingMethod.seller_id
            == any_(bindparam("seller_ids", type_=ARRAY(PG_UUID(as_uuid=True)))),
            ShippingMethod.seller_id.is_(None),
        )
    )
    .order_by(ShippingMethod.id, ShippingRate.price)
)

zone_repository = ZoneRepository()
method_repository = MethodRepository()
rate_repository = RateRepository()
