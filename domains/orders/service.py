"""Business rules of the orders domain. Methods take the session first and never commit.

The status machine:

    PENDING -> AWAITING_PAYMENT -> PAID -> FULFILLED -> DELIVERED
    PENDING -> FAILED (stock, price)          any unpaid or paid, undelivered -> CANCELLED
    PAID, FULFILLED, DELIVERED -> REFUNDED | PARTIALLY_REFUNDED -> REFUNDED

A refund that fails later at the provider is undone (REFUND_REVERSALS): REFUNDED goes
back to PARTIALLY_REFUNDED while some money did go back, and either goes back to the
status the order had before its refunds when none did.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Viewer
from domains.kit.errors import InputErrors, PermissionDenied, parse_uuid
from domains.kit.events import decode_event, encode_event
from domains.orders import breakdown, events, pricing
from domains.orders.announcements import order_number, status_changed
from domains.orders.errors import OrderErrorCode
from domains.orders.models import Order, OrderLine, OrderParcel, OrderStatus, OrderStatusChange
from domains.orders.repository import (
    PlacedOrder,
    early_stock_answers,
    history_repository,
    line_repository,
    order_repository,
    parcel_repository,
    placing_repository,
)
from domains.orders.status_machine import (
    CUSTOMER_CANCELLABLE,
    REFUND_REVERSALS,
    REFUND_STATUSES,
    STAFF_CANCELLABLE,
    TRANSITIONS,
    check_transition,
)

Code = OrderErrorCode
S = OrderStatus


def _now() -> datetime:
    return datetime.now(UTC)


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    return parse_uuid(value, field, Code.INVALID)


# --------------------------------------------------------------------------- who


def seller_of(viewer: Viewer) -> uuid.UUID | None:
    return viewer.seller_profile_id


async def can_view(session: AsyncSession, viewer: Viewer, order: Order) -> bool:
    """Its customer, staff, or a seller with a line in it (who then sees only those)."""
    user_id = viewer.require_user()
    if user_id == order.customer_id or viewer.is_staff:
        return True
    seller_id = seller_of(viewer)
    return seller_id is not None and await line_repository.seller_has_line(
        session, order.id, seller_id
    )


async def _ensure_visible(session: AsyncSession, viewer: Viewer, order: Order, field: str) -> None:
    """Anyone who may not see the order gets the answer an unknown id gets."""
    if not await can_view(session, viewer, order):
        raise InputErrors.single(field, Code.NOT_FOUND, "No such order.")


def visible_lines(viewer: Viewer, order: Order, lines: Sequence[OrderLine]) -> list[OrderLine]:
    if viewer.user_id == order.customer_id or viewer.is_staff:
        return list(lines)
    seller_id = seller_of(viewer)
    return [line for line in lines if seller_id is not None and line.seller_id == seller_id]


def visible_parcels(
    viewer: Viewer, order: Order, parcels: Sequence[OrderParcel]
) -> list[OrderParcel]:
    """As visible_lines: everything for its customer and staff, a seller's own parcel."""
    if viewer.user_id == order.customer_id or viewer.is_staff:
        return list(parcels)
    return [parcel for parcel in parcels if parcel.seller_id == seller_of(viewer)]


@dataclass(frozen=True)
class OrdersOf:
    """Whose orders a listing shows: a customer's own, or those with a line of a seller's
    shop. Exactly one is set."""

    customer_id: uuid.UUID | None = None
    seller_id: uuid.UUID | None = None


class OrderService:
    async def _move(
        self,
        session: AsyncSession,
        order: Order,
        target: OrderStatus,
        *,
        note: str = "",
        reason: str | None = None,
        reversal: bool = False,
    ) -> events.OrderStatusChanged:
        """Move `order` to `target`, recording it; the OrderStatusChanged announced."""
        previous = OrderStatus(order.status)
        if not (reversal and target in REFUND_REVERSALS.get(previous, frozenset())):
            check_transition(previous, target)
        order.status = target.value
        order.status_sequence += 1
        if reason is not None:
            order.failure_reason = reason
        await history_repository.add(session, order.id, target.value, note)
        return await self._announce(session, order, previous)

    async def _announce(
        self, session: AsyncSession, order: Order, previous: OrderStatus | None
    ) -> events.OrderStatusChanged:
        await session.flush()
        changed = status_changed(order, previous)
        await events.publish(session, changed)
        return changed

    # ----------------------------------------------------------------- the saga

    async def place(
        self,
        session: AsyncSession,
        event: events.CheckoutRequested,
        *,
        payment_window: timedelta,
    ) -> Order | None:
        """Create the order PENDING with the breakdown it was checked out at; once per
        order id and per (customer, idempotency key). Products reserves the stock from
        the same CheckoutRequested meanwhile: its answer may already wait
        (answer_early_stock). A breakdown that does not add up is not stored: the order
        FAILS with PRICING_INVALID, and whatever products holds for it goes back."""
        await early_stock_answers.lock_order(session, event.order_id)
        due = _now() + payment_window
        problem = (
            None if event.pricing is None else breakdown.problem_with(event.pricing, event.lines)
        )
        quote = event.pricing if problem is None else None
        order = await order_repository.insert_unless_exists(
            session,
            {
                "id": event.order_id,
                "customer_id": event.customer_id,
                "checkout_id": event.checkout_id,
                "idempotency_key": event.idempotency_key,
                "status": S.PENDING.value,
                "shipping_address": dataclasses.asdict(event.shipping_address),
                "payment_due_at": due,
                **({} if quote is None else breakdown.order_amounts(quote)),
            },
        )
        if order is None:
            return None
        placed = order
        await placing_repository.add_contents(
            session,
            breakdown.new_lines(order.id, event.lines, quote),
            [] if quote is None else breakdown.parcels(order.id, quote),
            S.PENDING.value,
            # Announced with its contents, unless it fails at once (below).
            announced=None if problem is not None else (lambda: status_changed(placed, None)),
        )
        if problem is not None:
            # Products may hold stock for it already, or will: OrderFailed gives back what
            # it holds, and a reservation answered later is cancelled (stock_reserved).
            await events.publish(session, events.OrderFailed(order.id, breakdown.PRICING_INVALID))
            await self._announce(session, order, None)
            await self._move(
                session, order, S.FAILED, note=problem[:200], reason=breakdown.PRICING_INVALID
            )
        return order

    async def answer_early_stock(
        self, session: AsyncSession, order_id: uuid.UUID
    ) -> events.OrderStatusChanged | None:
        """Apply products' answer for this order if it came before the order was placed
        (in the same transaction as the placing); the decision announced, if any."""
        early = await early_stock_answers.take(session, order_id)
        if early is None:
            return None
        if early.name == events.StockReserved.name:
            return await self.stock_reserved(
                session, decode_event(events.StockReserved, early.payload)
            )
        return await self.stock_reservation_failed(
            session, decode_event(events.StockReservationFailed, early.payload)
        )

    async def _placed_order(self, session: AsyncSession, order_id: uuid.UUID) -> PlacedOrder:
        """The order, locked, with its lines and parcels; no order when it is not placed
        yet. Usually it is, and found at once. Otherwise its placing may be under way:
        after the placing's lock (held to its commit; place), a second look sees it, or
        the answer is kept for it."""
        placed = await order_repository.locked_with_contents(session, order_id)
        if placed.order is None:
            await early_stock_answers.lock_order(session, order_id)
            placed = await order_repository.locked_with_contents(session, order_id)
        return placed

    async def stock_reserved(
        self, session: AsyncSession, event: events.StockReserved
    ) -> events.OrderStatusChanged | None:
        """The order's answer to its stock: AWAITING_PAYMENT, or FAILED when a price moved or
        the breakdown does not add up; the decision announced, None when there was none.
        An answer for an order not placed yet waits for it (answer_early_stock)."""
        order, lines, stored = await self._placed_order(session, event.order_id)
        if order is None:
            await early_stock_answers.keep(session, event.order_id, event.name, encode_event(event))
            return None
        if order.status != S.PENDING.value:
            if order.status in (S.CANCELLED.value, S.FAILED.value):
                # Cancelled while the reservation was on its way: give the stock back.
                await events.publish(
                    session, events.OrderCancelled(order.id, order.customer_id, "CANCELLED")
                )
            return None
        reserved = {line.variant_id: line for line in event.lines}
        changed = []
        for line in lines:
            got = reserved[line.variant_id]
            line.product_id = got.product_id
            line.seller_id = got.seller_id
            line.product_name = got.product_name
            line.sku = got.sku
            line.unit_price = got.unit_price
            if line.expected_unit_price is not None and (
                line.expected_unit_price != got.unit_price or line.expected_currency != got.currency
            ):
                changed.append(line)
        order.currency = event.lines[0].currency
        if changed:
            order.failed_lines = [
                {"variant_id": str(line.variant_id), "requested": line.quantity, "available": 0}
                for line in changed
            ]
            await events.publish(session, events.OrderFailed(order.id, "PRICE_CHANGED"))
            return await self._move(session, order, S.FAILED, reason="PRICE_CHANGED")
        if all(line.total is not None for line in lines):  # priced at checkout
            if problem := breakdown.reserved_problem(lines, stored):
                await events.publish(
                    session, events.OrderFailed(order.id, breakdown.PRICING_INVALID)
                )
                return await self._move(
                    session, order, S.FAILED, note=problem[:200], reason=breakdown.PRICING_INVALID
                )
            # The way nearly every checkout goes: written in one statement.
            previous = OrderStatus(order.status)
            check_transition(previous, S.AWAITING_PAYMENT)
            return await placing_repository.record_reservation(
                session,
                order,
                lines,
                status=S.AWAITING_PAYMENT.value,
                note="stock reserved",
                announced=lambda: status_changed(order, previous),
            )
        else:  # a checkout that sent no breakdown: the flat rule, now sellers are known
            fallback = pricing.fallback_pricing(event.lines)
            breakdown.store(order, lines, fallback)
            await parcel_repository.add_all(
                session, breakdown.parcels(order.id, fallback, promised_estimate=False)
            )
        return await self._move(session, order, S.AWAITING_PAYMENT, note="stock reserved")

    async def stock_reservation_failed(
        self, session: AsyncSession, event: events.StockReservationFailed
    ) -> events.OrderStatusChanged | None:
        order = (await self._placed_order(session, event.order_id)).order
        if order is None:
            await early_stock_answers.keep(session, event.order_id, event.name, encode_event(event))
            return None
        if order.status != S.PENDING.value:
            return None
        order.failed_lines = [
            {
                "variant_id": str(line.variant_id),
                "requested": line.requested,
                "available": line.available,
            }
            for line in event.lines
        ]
        return await self._move(session, order, S.FAILED, reason=event.reason)

    # ----------------------------------------------------------------- people

    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Order]:
        return await order_repository.get_by_ids(session, ids)

    async def get_visible(
        self, session: AsyncSession, viewer: Viewer, order_id: uuid.UUID
    ) -> Order | None:
        """The order if `viewer` may see it (can_view); None as for an unknown id."""
        order = await order_repository.get(session, order_id)
        if order is None or not await can_view(session, viewer, order):
            return None
        return order

    async def has_line_of(
        self, session: AsyncSession, order_id: uuid.UUID, seller_id: uuid.UUID
    ) -> bool:
        return await line_repository.seller_has_line(session, order_id, seller_id)

    async def lines_of(
        self, session: AsyncSession, order_ids: Sequence[uuid.UUID]
    ) -> list[OrderLine]:
        return await line_repository.for_orders(session, order_ids)

    async def parcels_of(
        self, session: AsyncSession, order_ids: Sequence[uuid.UUID]
    ) -> list[OrderParcel]:
        return await parcel_repository.for_orders(session, order_ids)

    async def history_of(
        self, session: AsyncSession, order_ids: Sequence[uuid.UUID]
    ) -> list[OrderStatusChange]:
        return await history_repository.for_orders(session, order_ids)

    async def page(
        self,
        session: AsyncSession,
        whose: OrdersOf,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Order]:
        """Up to `limit` of `whose` orders, newest first, after the (created_at, id) cursor."""
        if whose.customer_id is not None:
            return await order_repository.page_for_customer(
                session, whose.customer_id, limit=limit, after=after
            )
        assert whose.seller_id is not None
        return await order_repository.page_for_seller(
            session, whose.seller_id, limit=limit, after=after
        )

    async def count(self, session: AsyncSession, whose: OrdersOf) -> int:
        if whose.customer_id is not None:
            return await order_repository.count_for_customer(session, whose.customer_id)
        assert whose.seller_id is not None
        return await order_repository.count_for_seller(session, whose.seller_id)

    async def cancel(
        self,
        session: AsyncSession,
        viewer: Viewer,
        order_id: uuid.UUID,
        *,
        reason: str = "CANCELLED",
    ) -> Order:
        """The customer before fulfilment, staff before delivery; the stock goes back."""
        user_id = viewer.require_user()
        order = await order_repository.get_for_update(session, order_id)
        if order is None:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such order.")
        status = OrderStatus(order.status)
        if viewer.is_staff:
            allowed = STAFF_CANCELLABLE
        elif user_id == order.customer_id:
            allowed = CUSTOMER_CANCELLABLE
        else:
            # A seller of one of its lines sees the order and may hear why not; anyone
            # else gets the answer an unknown id gets, so ids cannot be confirmed.
            await _ensure_visible(session, viewer, order, "id")
            raise PermissionDenied("Only the order's customer or staff can cancel it.")
        if status not in allowed:
            raise InputErrors.single(
                "id",
                Code.ILLEGAL_TRANSITION,
                f"An order that is {status.value} can no longer be cancelled"
                + ("" if viewer.is_staff else " by its customer")
                + ".",
            )
        await self._cancel(session, order, reason)
        return order

    async def _cancel(self, session: AsyncSession, order: Order, reason: str) -> None:
        await events.publish(
            session,
            events.OrderCancelled(
                order.id, order.customer_id, reason, restock=order.status == S.PAID.value
            ),
        )
        await self._move(session, order, S.CANCELLED, note=reason.lower(), reason=reason)

    async def expire_due(
        self, session: AsyncSession, order_id: uuid.UUID, *, now: datetime | None = None
    ) -> bool:
        order = await order_repository.get_for_update(session, order_id)
        if order is None or order.status not in (S.PENDING.value, S.AWAITING_PAYMENT.value):
            return False
        if order.payment_due_at >= (now or _now()):
            return False
        await self._cancel(session, order, "EXPIRED")
        return True

    async def payment_succeeded(
        self, session: AsyncSession, event: events.PaymentSucceeded
    ) -> Order | None:
        """The payments domain captured the money: AWAITING_PAYMENT -> PAID. A payment for
        an order cancelled meanwhile changes nothing here; payments refunds it."""
        order = await order_repository.get_for_update(session, event.order_id)
        if order is None or order.status != S.AWAITING_PAYMENT.value:
            return None
        if (event.amount, event.currency) != (order.total, order.currency):
            return None  # not this order's amount: payments flags such a charge
        await self._move(
            session, order, S.PAID, note=f"payment captured: {event.amount} {event.currency}"
        )
        return order

    async def payment_refunded(
        self, session: AsyncSession, event: events.PaymentRefunded
    ) -> Order | None:
        """Money went back: PARTIALLY_REFUNDED, or REFUNDED once all of it has. Refunds of
        a cancelled order (its cancellation asked for them) leave it CANCELLED."""
        order = await order_repository.get_for_update(session, event.order_id)
        if order is None:
            return None
        status = OrderStatus(order.status)
        target = S.REFUNDED if event.fully_refunded else S.PARTIALLY_REFUNDED
        if target not in TRANSITIONS[status]:
            return None
        await self._move(session, order, target, note=f"refunded {event.amount} {event.currency}")
        return order

    async def payment_refund_failed(
        self, session: AsyncSession, event: events.PaymentRefundFailed
    ) -> Order | None:
        """A refund failed at the provider: the order's refund status follows what did go
        back, `refunded_total`. A cancelled order stays CANCELLED."""
        order = await order_repository.get_for_update(session, event.order_id)
        if order is None:
            return None
        status = OrderStatus(order.status)
        if status not in REFUND_STATUSES:
            return None
        if event.refunded_total > 0:
            if status is S.PARTIALLY_REFUNDED:
                return None
            target = S.PARTIALLY_REFUNDED
        else:
            history = await history_repository.for_orders(session, [order.id])
            before = [
                OrderStatus(entry.status)
                for entry in history
                if OrderStatus(entry.status) not in REFUND_STATUSES
            ]
            if not before or before[-1] not in REFUND_REVERSALS[status]:
                return None
            target = before[-1]
        await self._move(
            session,
            order,
            target,
            note=f"refund of {event.amount} {event.currency} failed: {event.reason}"[:200],
            reversal=True,
        )
        return order

    async def fulfil(
        self,
        session: AsyncSession,
        viewer: Viewer,
        order_id: uuid.UUID,
        line_ids: Sequence[str],
        tracking_number: str,
    ) -> Order:
        """A seller ships their own lines of a paid order; all lines shipped: FULFILLED."""
        viewer.require_user()
        seller_id = seller_of(viewer)
        if seller_id is None and not viewer.is_staff:
            raise PermissionDenied("Only sellers fulfil orders.")
        order = await order_repository.get_for_update(session, order_id)
        if order is None:
            raise InputErrors.single("orderId", Code.NOT_FOUND, "No such order.")
        lines = await line_repository.for_orders(session, [order.id])
        if not viewer.is_staff and not any(line.seller_id == seller_id for line in lines):
            # An order without the seller's lines is none of theirs: as an unknown id.
            raise InputErrors.single("orderId", Code.NOT_FOUND, "No such order.")
        tracking = tracking_number.strip()
        if not (1 <= len(tracking) <= 100):
            raise InputErrors.single(
                "trackingNumber", Code.REQUIRED, "A tracking number is 1 to 100 characters."
            )
        if order.status != S.PAID.value:
            raise InputErrors.single(
                "orderId",
                Code.ILLEGAL_TRANSITION,
                f"Only a PAID order can be fulfilled (this one is {order.status}).",
            )
        by_id = {str(line.id): line for line in lines}
        chosen = []
        for index, raw in enumerate(line_ids):
            line = by_id.get(str(parse_id(raw, f"lineIds.{index}")))
            if line is None or (not viewer.is_staff and line.seller_id != seller_id):
                raise InputErrors.single(
                    f"lineIds.{index}", Code.NOT_YOUR_LINE, "No such line of yours in this order."
                )
            if line.fulfilled_at is not None:
                raise InputErrors.single(
                    f"lineIds.{index}", Code.ALREADY_FULFILLED, "This line is fulfilled already."
                )
            chosen.append(line)
        if not chosen:
            raise InputErrors.single("lineIds", Code.REQUIRED, "Name at least one line.")
        now = _now()
        for line in chosen:
            line.fulfilled_at = now
            line.tracking_number = tracking
        parcels = await parcel_repository.for_orders(session, [order.id])
        breakdown.ship_parcels(parcels, lines, at=now, tracking_number=tracking)
        await events.publish(
            session,
            events.OrderLinesFulfilled(
                order_id=order.id,
                number=order_number(order),
                customer_id=order.customer_id,
                seller_id=chosen[0].seller_id or uuid.UUID(int=0),
                tracking_number=tracking,
                lines=[
                    events.FulfilledLine(line.product_name or "", line.sku or "", line.quantity)
                    for line in chosen
                ],
                shipping_method=breakdown.method_of(parcels, chosen[0].seller_id),
            ),
        )
        if all(line.fulfilled_at is not None for line in lines):
            await self._move(session, order, S.FULFILLED, note="all lines shipped")
        await session.flush()
        return order

    async def mark_delivered(
        self, session: AsyncSession, viewer: Viewer, order_id: uuid.UUID
    ) -> Order:
        viewer.require_staff("Only staff mark orders delivered.")
        order = await order_repository.get_for_update(session, order_id)
        if order is None:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such order.")
        status = OrderStatus(order.status)
        if S.DELIVERED not in TRANSITIONS[status]:
            raise InputErrors.single(
                "id",
                Code.ILLEGAL_TRANSITION,
                f"Only a FULFILLED order can be delivered (this one is {status.value}).",
            )
        lines = await line_repository.for_orders(session, [order.id])
        await events.publish(
            session,
            events.OrderDelivered(
                order_id=order.id,
                customer_id=order.customer_id,
                product_ids=sorted({line.product_id for line in lines if line.product_id}),
            ),
        )
        await self._move(session, order, S.DELIVERED)
        return order


orders = OrderService()
