"""Every SQL statement of the carts domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.models import Cart, CartLine, CartStatus, Checkout, CheckoutStatus, VariantOffer


class CartRepository:
    async def add(self, session: AsyncSession, cart: Cart) -> Cart:
        session.add(cart)
        await session.flush()
        await session.refresh(cart)
        return cart

    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Cart]:
        return list((await session.scalars(select(Cart).where(Cart.id.in_(ids)))).all())

    async def get_for_update(self, session: AsyncSession, cart_id: uuid.UUID) -> Cart | None:
        return await session.scalar(select(Cart).where(Cart.id == cart_id).with_for_update())

    async def open_for_customer(
        self, session: AsyncSession, customer_ids: Sequence[uuid.UUID]
    ) -> list[Cart]:
        return list(
            (
                await session.scalars(
                    select(Cart).where(
                        Cart.customer_id.in_(customer_ids), Cart.status == CartStatus.OPEN.value
                    )
                )
            ).all()
        )

    async def open_for_customer_for_update(
        self, session: AsyncSession, customer_id: uuid.UUID
    ) -> Cart | None:
        return await session.scalar(
            select(Cart)
            .where(Cart.customer_id == customer_id, Cart.status == CartStatus.OPEN.value)
            .with_for_update()
        )

    async def touch(self, session: AsyncSession, cart: Cart) -> None:
        cart.updated_at = func.now()
        await session.flush()
        await session.refresh(cart)

    async def expire_guest_carts(self, session: AsyncSession, before: datetime, limit: int) -> int:
        stale = (
            select(Cart.id)
            .where(
                Cart.status == CartStatus.OPEN.value,
                Cart.customer_id.is_(None),
                Cart.updated_at < before,
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await session.execute(
            update(Cart)
            .where(Cart.id.in_(stale.scalar_subquery()))
            .values(status=CartStatus.EXPIRED.value)
            .returning(Cart.id)
        )
        expired = [row.id for row in result]
        if expired:
            await session.execute(delete(CartLine).where(CartLine.cart_id.in_(expired)))
        return len(expired)


class LineRepository:
    async def for_carts(
        self, session: AsyncSession, cart_ids: Sequence[uuid.UUID]
    ) -> list[CartLine]:
        return list(
            (
                await session.scalars(
                    select(CartLine)
                    .where(CartLine.cart_id.in_(cart_ids))
                    .order_by(CartLine.created_at, CartLine.id)
                )
            ).all()
        )

    async def add(self, session: AsyncSession, line: CartLine) -> None:
        session.add(line)
        await session.flush()

    async def delete(self, session: AsyncSession, line: CartLine) -> None:
        await session.delete(line)
        await session.flush()


class OfferRepository:
    async def get_many(
        self, session: AsyncSession, variant_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, VariantOffer]:
        rows = await session.scalars(
            select(VariantOffer).where(VariantOffer.variant_id.in_(variant_ids))
        )
        return {row.variant_id: row for row in rows}

    async def record_price(
        self,
        session: AsyncSession,
        variant_id: uuid.UUID,
        *,
        price_amount: int,
        currency: str,
        changed_at: datetime,
    ) -> None:
        """Keep the newest price: events of one variant may arrive out of order."""
        statement = insert(VariantOffer).values(
            variant_id=variant_id,
            price_amount=price_amount,
            currency=currency,
            price_changed_at=changed_at,
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[VariantOffer.variant_id],
                set_={
                    "price_amount": statement.excluded.price_amount,
                    "currency": statement.excluded.currency,
                    "price_changed_at": statement.excluded.price_changed_at,
                },
                where=(VariantOffer.price_changed_at.is_(None))
                | (VariantOffer.price_changed_at < statement.excluded.price_changed_at),
            )
        )

    async def record_stock(
        self, session: AsyncSession, variant_id: uuid.UUID, *, available: int, changed_at: datetime
    ) -> None:
        statement = insert(VariantOffer).values(
            variant_id=variant_id, available=available, stock_changed_at=changed_at
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[VariantOffer.variant_id],
                set_={
                    "available": statement.excluded.available,
                    "stock_changed_at": statement.excluded.stock_changed_at,
                },
                where=(VariantOffer.stock_changed_at.is_(None))
                | (VariantOffer.stock_changed_at < statement.excluded.stock_changed_at),
            )
        )


class CheckoutRepository:
    async def get_by_key(
        self, session: AsyncSession, customer_id: uuid.UUID, idempotency_key: str
    ) -> Checkout | None:
        return await session.scalar(
            select(Checkout).where(
                Checkout.customer_id == customer_id, Checkout.idempotency_key == idempotency_key
            )
        )

    async def get(self, session: AsyncSession, checkout_id: uuid.UUID) -> Checkout | None:
        return await session.scalar(
            select(Checkout)
            .where(Checkout.id == checkout_id)
            .execution_options(populate_existing=True)
        )

    async def get_by_order_for_update(
        self, session: AsyncSession, order_id: uuid.UUID
    ) -> Checkout | None:
        return await session.scalar(
            select(Checkout).where(Checkout.order_id == order_id).with_for_update()
        )

    async def pending_for_cart(self, session: AsyncSession, cart_id: uuid.UUID) -> Checkout | None:
        return await session.scalar(
            select(Checkout)
            .where(Checkout.cart_id == cart_id, Checkout.status == CheckoutStatus.PENDING.value)
            .limit(1)
        )

    async def insert_unless_exists(
        self, session: AsyncSession, values: dict[str, Any]
    ) -> uuid.UUID | None:
        """Insert; None when a checkout with the same (customer, key) exists.

        A concurrent insert of the same key makes this wait for that transaction, then
        yield to it: exactly one request creates the checkout.
        """
        result = await session.execute(
            insert(Checkout)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[Checkout.customer_id, Checkout.idempotency_key])
            .returning(Checkout.id)
        )
        return result.scalar_one_or_none()


cart_repository = CartRepository()
line_repository = LineRepository()
offer_repository = OfferRepository()
checkout_repository = CheckoutRepository()
