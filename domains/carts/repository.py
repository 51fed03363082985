"""Every SQL statement of the carts domain."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    Executable,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.models import Cart, CartLine, CartStatus, Checkout, CheckoutStatus, VariantOffer
from domains.kit.db import all_rows, get_for_update
from domains.kit.many_rows import ManyRows


class CartRepository:
    async def add(self, session: AsyncSession, cart: Cart) -> Cart:
        session.add(cart)
        await session.flush()
        await session.refresh(cart)
        return cart

    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Cart]:
        return await all_rows(session, select(Cart).where(Cart.id.in_(ids)))

    async def get_for_update(self, session: AsyncSession, cart_id: uuid.UUID) -> Cart | None:
        return await get_for_update(session, Cart, cart_id)

    async def open_for_customer(
        self, session: AsyncSession, customer_ids: Sequence[uuid.UUID]
    ) -> list[Cart]:
        return await all_rows(
            session,
            select(Cart).where(
                Cart.customer_id.in_(customer_ids), Cart.status == CartStatus.OPEN.value
            ),
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
        return await all_rows(
            session,
            select(CartLine)
            .where(CartLine.cart_id.in_(cart_ids))
            .order_by(CartLine.created_at, CartLine.id),
        )

    async def with_offers(
        self, session: AsyncSession, cart_id: uuid.UUID
    ) -> tuple[list[CartLine], dict[uuid.UUID, VariantOffer]]:
        """A cart's lines, in order, and the offers carts knows of their variants, in one
        statement (a line whose variant carts has not heard of has no offer)."""
        rows = (await session.execute(_LINES_WITH_OFFERS, {"cart_id": cart_id})).all()
        lines = [line for line, _offer in rows]
        offers = {offer.variant_id: offer for _line, offer in rows if offer is not None}
        return lines, offers

    async def add(self, session: AsyncSession, line: CartLine) -> None:
        session.add(line)
        await session.flush()

    async def delete(self, session: AsyncSession, line: CartLine) -> None:
        await session.delete(line)
        await session.flush()


@dataclass(frozen=True)
class PriceSeen:
    variant_id: uuid.UUID
    price_amount: int  # after the best active promotion
    currency: str
    changed_at: datetime
    product_id: uuid.UUID | None = None
    seller_id: uuid.UUID | None = None
    list_price_amount: int | None = None  # before any promotion; None: price_amount
    promotion_name: str | None = None
    category_ids: Sequence[uuid.UUID] = ()

    @classmethod
    def of(cls, offer: OfferNews, changed_at: datetime) -> PriceSeen:
        """The price part of a VariantPriceChanged or of a loaded offer."""
        return cls(
            offer.variant_id,
            offer.price_amount,
            offer.currency,
            changed_at,
            product_id=offer.product_id,
            seller_id=offer.seller_id,
            list_price_amount=offer.list_price_amount,
            promotion_name=offer.promotion_name,
            category_ids=offer.category_ids,
        )


class OfferNews(Protocol):
    """What products says of a variant's price (VariantPriceChanged, LoadedOffer)."""

    @property
    def variant_id(self) -> uuid.UUID: ...
    @property
    def price_amount(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def product_id(self) -> uuid.UUID | None: ...
    @property
    def seller_id(self) -> uuid.UUID | None: ...
    @property
    def list_price_amount(self) -> int | None: ...
    @property
    def promotion_name(self) -> str | None: ...
    @property
    def category_ids(self) -> Sequence[uuid.UUID]: ...


@dataclass(frozen=True)
class StockSeen:
    variant_id: uuid.UUID
    available: int
    changed_at: datetime


class OfferRepository:
    async def get_many(
        self, session: AsyncSession, variant_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, VariantOffer]:
        rows = await session.scalars(
            select(VariantOffer).where(VariantOffer.variant_id.in_(variant_ids))
        )
        return {row.variant_id: row for row in rows}

    async def get_many_held(
        self, session: AsyncSession, variant_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, VariantOffer]:
        """The offers of lines being added, each row held (FOR SHARE) until the commit,
        an empty row first made for a variant carts has not heard of yet.

        A price arriving at the same moment is then either seen here (its transaction
        committed first) or waits for this one and, adopting currencies afterwards, sees
        these lines: without the hold both could miss the other, and the cart would keep
        no currency. Rows in variant order, as the price events upsert them.
        """
        ordered = sorted(set(variant_ids))
        if not ordered:
            return {}
        await session.execute(
            _NEW_OFFERS, _NEW_OFFER_ROWS.parameters([{"variant_id": id_} for id_ in ordered])
        )
        rows = await session.scalars(
            select(VariantOffer)
            .where(VariantOffer.variant_id.in_(ordered))
            .order_by(VariantOffer.variant_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
        return {row.variant_id: row for row in rows}

    async def record_prices(self, session: AsyncSession, prices: Sequence[PriceSeen]) -> None:
        """Keep the newest price of each variant: events of one variant may arrive out of
        order. One statement however many variants."""
        await self._keep_newest(
            session,
            [
                {
                    "variant_id": price.variant_id,
                    "price_amount": price.price_amount,
                    "currency": price.currency,
                    "price_changed_at": price.changed_at,
                    "product_id": price.product_id,
                    "seller_id": price.seller_id,
                    "list_price_amount": price.list_price_amount,
                    "promotion_name": price.promotion_name,
                    "category_ids": list(price.category_ids),
                }
                for price in prices
            ],
            changed_at="price_changed_at",
            # A variant's product and seller never change: an event without them (from
            # an older producer) leaves what carts knows.
            kept_when_missing=("product_id", "seller_id"),
        )

    async def record_stock(self, session: AsyncSession, levels: Sequence[StockSeen]) -> None:
        """Keep the newest stock level of each variant, in one statement."""
        await self._keep_newest(
            session,
            [
                {
                    "variant_id": level.variant_id,
                    "available": level.available,
                    "stock_changed_at": level.changed_at,
                }
                for level in levels
            ],
            changed_at="stock_changed_at",
        )

    async def _keep_newest(
        self,
        session: AsyncSession,
        rows: list[dict[str, Any]],
        *,
        changed_at: str,
        kept_when_missing: tuple[str, ...] = (),
    ) -> None:
        """Insert each variant's row, or update the columns given where the stored
        `changed_at` is older (or unknown): newer news is never overwritten. A column of
        `kept_when_missing` keeps its stored value where the row brings null."""
        if not rows:
            return
        # In variant order: the rows are locked in the order line adds hold them.
        ordered = sorted(rows, key=lambda row: row["variant_id"])
        names = tuple(rows[0])
        if any(isinstance(_OFFER_COLUMNS[name].type, ARRAY) for name in names):
            # An array column cannot travel as an array of arrays (unnest flattens it):
            # a statement of the rows' values, compiled on each use. Prices change
            # seldom; the stock levels every checkout changes take the path below.
            of_values = insert(VariantOffer).values(ordered)
            await session.execute(_keeping_newest(of_values, names, changed_at, kept_when_missing))
            return
        statement, many = _keep_newest_statement(names, changed_at, kept_when_missing)
        await session.execute(statement, many.parameters(ordered))


_OFFER_COLUMNS = VariantOffer.__table__.c


# A variant's empty offer, for each variant carts has not heard of yet, in one statement
# compiled once (kit/many_rows.py).
_NEW_OFFER_ROWS = ManyRows(VariantOffer, ["variant_id"], name="new_offers")
_NEW_OFFERS = _NEW_OFFER_ROWS.insert().on_conflict_do_nothing(
    index_elements=[VariantOffer.variant_id]
)


@functools.cache
def _keep_newest_statement(
    names: tuple[str, ...], changed_at: str, kept_when_missing: tuple[str, ...]
) -> tuple[Executable, ManyRows]:
    """The upsert of `_keep_newest` for rows of these columns, built once: the rows as
    arrays (kit/many_rows.py), so that it is compiled once for any number of rows."""
    many = ManyRows(VariantOffer, names, name="seen")
    return _keeping_newest(many.insert(), names, changed_at, kept_when_missing), many


def _keeping_newest(
    statement: Insert, names: tuple[str, ...], changed_at: str, kept_when_missing: tuple[str, ...]
) -> Executable:
    stored = _OFFER_COLUMNS[changed_at]
    return statement.on_conflict_do_update(
        index_elements=[VariantOffer.variant_id],
        set_={
            name: (
                func.coalesce(statement.excluded[name], _OFFER_COLUMNS[name])
                if name in kept_when_missing
                else statement.excluded[name]
            )
            for name in names
            if name != "variant_id"
        },
        where=(stored.is_(None)) | (stored < statement.excluded[changed_at]),
    )


class CurrencyRepository:
    async def adopt_for_variants(
        self, session: AsyncSession, currencies: Mapping[uuid.UUID, str]
    ) -> None:
        """Give open carts without a currency the currency of a variant they hold.

        A line can be added before carts has heard of its variant's price (the event is
        still on its way); the cart takes its currency when the price arrives, as it
        would have at the add. A cart holding several such variants takes one of theirs.
        """
        if not currencies:
            return
        known = (
            select(
                func.unnest(cast(list(currencies), ARRAY(PG_UUID(as_uuid=True)))).label(
                    "variant_id"
                ),
                func.unnest(cast(list(currencies.values()), ARRAY(String()))).label("currency"),
            )
        ).subquery("known")
        adopted = (
            select(func.min(known.c.currency))
            .join(CartLine, CartLine.variant_id == known.c.variant_id)
            .where(CartLine.cart_id == Cart.id)
            .scalar_subquery()
        )
        holding = select(CartLine.cart_id).where(CartLine.variant_id.in_(list(currencies)))
        await session.execute(
            update(Cart)
            .where(
                Cart.id.in_(holding),
                Cart.currency.is_(None),
                Cart.status == CartStatus.OPEN.value,
            )
            .values(currency=adopted)
            .execution_options(synchronize_session=False)
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

    async def record_order_status(
        self,
        session: AsyncSession,
        order_id: uuid.UUID,
        *,
        status: str,
        sequence: int,
        failure_reason: str | None,
        failed_lines: list[dict[str, Any]],
    ) -> Checkout | None:
        """In one statement: the order's status on its checkout, unless the checkout has
        recorded this status or a newer one already; and, when the order awaits payment,
        the checkout's cart closed if still open. The checkout as recorded, or None when
        there was nothing new.

        The row's lock is the UPDATE's: a concurrent record of the same order waits for
        it, then re-checks the sequence against what it committed."""
        recorded: Checkout | None = await session.scalar(
            _RECORD_ORDER_STATUS,
            {
                "of_order": order_id,
                "new_status": status,
                "new_sequence": sequence,
                "new_failure_reason": failure_reason,
                "new_failed_lines": failed_lines,
                "closes_cart": status == CheckoutStatus.AWAITING_PAYMENT.value,
            },
            execution_options={"populate_existing": True},
        )
        return recorded

    async def by_key_or_pending_for_cart(
        self,
        session: AsyncSession,
        customer_id: uuid.UUID,
        idempotency_key: str,
        cart_id: uuid.UUID | None,
    ) -> tuple[Checkout | None, Checkout | None]:
        """In one statement: the customer's checkout with this key, and a checkout of
        `cart_id` still PENDING (under another key), each None when there is none."""
        found = (
            await session.scalars(
                _BY_KEY_OR_PENDING_FOR_CART,
                {"customer_id": customer_id, "key": idempotency_key, "cart_id": cart_id},
            )
        ).all()
        keyed = next(
            (
                row
                for row in found
                if row.customer_id == customer_id and row.idempotency_key == idempotency_key
            ),
            None,
        )
        pending = next((row for row in found if row is not keyed), None)
        return keyed, pending

    async def insert_unless_exists(
        self, session: AsyncSession, values: dict[str, Any]
    ) -> Checkout | None:
        """Insert and return the row as stored; None when a checkout with the same
        (customer, key) exists.

        A concurrent insert of the same key makes this wait for that transaction, then
        yield to it: exactly one request creates the checkout.
        """
        inserted: Checkout | None = await session.scalar(
            _INSERT_CHECKOUT_UNLESS_EXISTS, {f"new_{key}": value for key, value in values.items()}
        )
        return inserted


# The checkout request's reads, built once: every checkout of a rush runs them, most of
# them to be refused at the admission gate right after.
_LINES_WITH_OFFERS = (
    select(CartLine, VariantOffer)
    .outerjoin(VariantOffer, VariantOffer.variant_id == CartLine.variant_id)
    .where(CartLine.cart_id == bindparam("cart_id"))
    .order_by(CartLine.created_at, CartLine.id)
)
# A NULL cart_id (no such cart) matches no pending row: the key alone decides.
_BY_KEY_OR_PENDING_FOR_CART = (
    select(Checkout)
    .where(
        or_(
            and_(
                Checkout.customer_id == bindparam("customer_id"),
                Checkout.idempotency_key == bindparam("key"),
            ),
            and_(
                Checkout.cart_id == bindparam("cart_id", type_=PG_UUID(as_uuid=True)),
                Checkout.status == CheckoutStatus.PENDING.value,
            ),
        )
    )
    .limit(2)
)


def _record_order_status() -> Executable:
    recorded = (
        update(Checkout)
        .where(
            Checkout.order_id == bindparam("of_order"),
            Checkout.status_sequence < bindparam("new_sequence"),
        )
        .values(
            status=bindparam("new_status"),
            status_sequence=bindparam("new_sequence"),
            failure_reason=bindparam("new_failure_reason"),
            failed_lines=bindparam("new_failed_lines"),
            updated_at=func.now(),
        )
        .returning(*Checkout.__table__.c)
        .cte("recorded")
    )
    closed = (
        update(Cart)
        .where(
            Cart.id.in_(select(recorded.c.cart_id)),
            Cart.status == CartStatus.OPEN.value,
            bindparam("closes_cart", type_=Boolean),
        )
        .values(status=CartStatus.CHECKED_OUT.value, updated_at=func.now())
        .cte("closed")
    )
    return select(Checkout).from_statement(select(recorded).add_cte(closed))


# Every checkout request's insert, built once (the request passes every column).
_INSERT_CHECKOUT_UNLESS_EXISTS = (
    insert(Checkout)
    .values(
        {
            key: bindparam(f"new_{key}")
            for key in ("id", "cart_id", "customer_id", "idempotency_key", "order_id", "line_ids")
        }
    )
    .on_conflict_do_nothing(index_elements=[Checkout.customer_id, Checkout.idempotency_key])
    .returning(Checkout)
)

# A decided checkout's record: the carts consumer runs it for every status of every
# order, and the waiting request for each decision it hears first.
_RECORD_ORDER_STATUS = _record_order_status()

cart_repository = CartRepository()
line_repository = LineRepository()
offer_repository = OfferRepository()
currency_repository = CurrencyRepository()
checkout_repository = CheckoutRepository()
