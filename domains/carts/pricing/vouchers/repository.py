"""Every SQL statement of vouchers: their definitions, the codes applied to carts, and the
redemption ledger with the conditional UPDATE that keeps a usage limit exact."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.pricing.vouchers.models import (
    CartVoucher,
    RedemptionStatus,
    Voucher,
    VoucherRedemption,
)
from domains.kit.db import all_rows, get_for_update


@dataclass(frozen=True)
class AppliedCode:
    """A voucher applied to a cart, as the cart shows it."""

    cart_id: uuid.UUID
    voucher_id: uuid.UUID
    code: str
    name: str
    position: int


class VoucherRepository:
    async def insert_unless_code_taken(
        self, session: AsyncSession, values: dict[str, Any]
    ) -> Voucher | None:
        """The new voucher as stored; None when its code is taken (a concurrent insert of
        the same code waits for the other transaction, then yields to it)."""
        return await session.scalar(
            insert(Voucher)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[Voucher.code])
            .returning(Voucher)
        )

    async def get_by_code(self, session: AsyncSession, code: str) -> Voucher | None:
        return await session.scalar(select(Voucher).where(Voucher.code == code))

    async def get(self, session: AsyncSession, voucher_id: uuid.UUID) -> Voucher | None:
        """The voucher as committed now (not as this session first read it)."""
        return await session.scalar(
            select(Voucher)
            .where(Voucher.id == voucher_id)
            .execution_options(populate_existing=True)
        )

    async def get_for_update(self, session: AsyncSession, voucher_id: uuid.UUID) -> Voucher | None:
        return await get_for_update(session, Voucher, voucher_id)

    async def get_by_ids(
        self, session: AsyncSession, voucher_ids: Sequence[uuid.UUID]
    ) -> list[Voucher]:
        return await all_rows(session, select(Voucher).where(Voucher.id.in_(voucher_ids)))

    async def page(
        self,
        session: AsyncSession,
        *,
        seller_id: uuid.UUID | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Voucher]:
        """Newest first; a seller's own vouchers, or every voucher when `seller_id` is
        None."""
        statement = select(Voucher).order_by(Voucher.created_at.desc(), Voucher.id.desc())
        if seller_id is not None:
            statement = statement.where(Voucher.seller_id == seller_id)
        if after is not None:
            created_at, voucher_id = after
            statement = statement.where(
                or_(
                    Voucher.created_at < created_at,
                    and_(Voucher.created_at == created_at, Voucher.id < voucher_id),
                )
            )
        return await all_rows(session, statement.limit(limit))

    async def count(self, session: AsyncSession, *, seller_id: uuid.UUID | None) -> int:
        statement = select(func.count()).select_from(Voucher)
        if seller_id is not None:
            statement = statement.where(Voucher.seller_id == seller_id)
        return int(await session.scalar(statement) or 0)

    async def take_use(self, session: AsyncSession, voucher_id: uuid.UUID) -> Voucher | None:
        """Hold one use of a voucher that is not ended and has one left: the row with
        `uses_held` one higher, locked until the transaction ends; None when it has none
        left or has ended.

        One conditional UPDATE: concurrent checkouts queue on the row, and each sees the
        count the one before it committed, so no more than `usage_limit` ever succeed.
        """
        return await session.scalar(
            update(Voucher)
            .where(
                Voucher.id == voucher_id,
                Voucher.ended_at.is_(None),
                or_(Voucher.usage_limit.is_(None), Voucher.uses_held < Voucher.usage_limit),
            )
            .values(uses_held=Voucher.uses_held + 1, updated_at=func.now())
            .returning(Voucher)
            .execution_options(populate_existing=True)
        )

    async def give_back_uses(self, session: AsyncSession, counts: dict[uuid.UUID, int]) -> None:
        """Lower each voucher's `uses_held` by its count (released redemptions), in id
        order so that concurrent releases lock rows in the same order."""
        for voucher_id in sorted(counts):
            await session.execute(
                update(Voucher)
                .where(Voucher.id == voucher_id)
                .values(uses_held=Voucher.uses_held - counts[voucher_id], updated_at=func.now())
                .execution_options(synchronize_session=False)
            )


class CartVoucherRepository:
    async def applied_to_carts(
        self, session: AsyncSession, cart_ids: Sequence[uuid.UUID]
    ) -> list[AppliedCode]:
        """The codes applied to each cart, in the order they apply: one statement."""
        rows = await session.execute(
            select(
                CartVoucher.cart_id,
                CartVoucher.voucher_id,
                Voucher.code,
                Voucher.name,
                CartVoucher.position,
            )
            .join(Voucher, Voucher.id == CartVoucher.voucher_id)
            .where(CartVoucher.cart_id.in_(cart_ids))
            .order_by(CartVoucher.cart_id, CartVoucher.position)
        )
        return [AppliedCode(*row) for row in rows]

    async def vouchers_of_cart(self, session: AsyncSession, cart_id: uuid.UUID) -> list[Voucher]:
        """The vouchers applied to the cart, in the order they apply."""
        return list((await session.scalars(_VOUCHERS_OF_CART, {"cart_id": cart_id})).all())

    async def add(self, session: AsyncSession, cart_id: uuid.UUID, voucher_id: uuid.UUID) -> None:
        """Apply the voucher after those already applied (the cart's row is locked by
        the caller, so positions do not collide)."""
        next_position = (
            select(func.coalesce(func.max(CartVoucher.position), 0) + 1)
            .where(CartVoucher.cart_id == cart_id)
            .scalar_subquery()
        )
        await session.execute(
            insert(CartVoucher).values(
                cart_id=cart_id, voucher_id=voucher_id, position=next_position
            )
        )

    async def remove(
        self, session: AsyncSession, cart_id: uuid.UUID, voucher_id: uuid.UUID
    ) -> bool:
        result = await session.execute(
            delete(CartVoucher)
            .where(CartVoucher.cart_id == cart_id, CartVoucher.voucher_id == voucher_id)
            .returning(CartVoucher.voucher_id)
        )
        return result.first() is not None


class RedemptionRepository:
    async def count_held_by_customer(
        self, session: AsyncSession, voucher_id: uuid.UUID, customer_id: uuid.UUID
    ) -> int:
        """The customer's uses of the voucher not given back (reserved or committed)."""
        return int(
            await session.scalar(
                select(func.count())
                .select_from(VoucherRedemption)
                .where(
                    VoucherRedemption.voucher_id == voucher_id,
                    VoucherRedemption.customer_id == customer_id,
                    VoucherRedemption.status != RedemptionStatus.RELEASED.value,
                )
            )
            or 0
        )

    async def add_reserved(
        self,
        session: AsyncSession,
        *,
        voucher_ids: Sequence[uuid.UUID],
        checkout_id: uuid.UUID,
        order_id: uuid.UUID,
        customer_id: uuid.UUID,
    ) -> None:
        if not voucher_ids:
            return
        await session.execute(
            insert(VoucherRedemption).values(
                [
                    {
                        "id": uuid.uuid4(),
                        "voucher_id": voucher_id,
                        "checkout_id": checkout_id,
                        "order_id": order_id,
                        "customer_id": customer_id,
                        "status": RedemptionStatus.RESERVED.value,
                    }
                    for voucher_id in voucher_ids
                ]
            )
        )

    async def commit_reserved(self, session: AsyncSession, order_id: uuid.UUID) -> int:
        """RESERVED -> COMMITTED for the order's redemptions; how many moved."""
        result = await session.execute(
            update(VoucherRedemption)
            .where(
                VoucherRedemption.order_id == order_id,
                VoucherRedemption.status == RedemptionStatus.RESERVED.value,
            )
            .values(status=RedemptionStatus.COMMITTED.value, updated_at=func.now())
            .returning(VoucherRedemption.id)
            .execution_options(synchronize_session=False)
        )
        return len(result.all())

    async def release(self, session: AsyncSession, order_id: uuid.UUID) -> dict[uuid.UUID, int]:
        """Every redemption of the order not released yet -> RELEASED; how many per
        voucher. The status guard makes a second release (a replayed event) a no-op."""
        result = await session.execute(
            update(VoucherRedemption)
            .where(
                VoucherRedemption.order_id == order_id,
                VoucherRedemption.status != RedemptionStatus.RELEASED.value,
            )
            .values(status=RedemptionStatus.RELEASED.value, updated_at=func.now())
            .returning(VoucherRedemption.voucher_id)
            .execution_options(synchronize_session=False)
        )
        released: dict[uuid.UUID, int] = {}
        for (voucher_id,) in result:
            released[voucher_id] = released.get(voucher_id, 0) + 1
        return released

    async def for_orders(
        self, session: AsyncSession, order_ids: Sequence[uuid.UUID]
    ) -> list[VoucherRedemption]:
        return await all_rows(
            session,
            select(VoucherRedemption)
            .where(VoucherRedemption.order_id.in_(order_ids))
            .order_by(VoucherRedemption.created_at, VoucherRedemption.id)
            .execution_options(populate_existing=True),
        )


voucher_repository = VoucherRepository()
cart_voucher_repository = CartVoucherRepository()
redemption_repository = RedemptionRepository()


# Every quote and every checkout reads it: built once.
_VOUCHERS_OF_CART = (
    select(Voucher)
    .join(CartVoucher, CartVoucher.voucher_id == Voucher.id)
    .where(CartVoucher.cart_id == bindparam("cart_id"))
    .order_by(CartVoucher.position)
    .execution_options(populate_existing=True)
)
