"""Stock for orders, driven by other domains' events (see consumers.py).

A checkout's CheckoutRequested (from carts, read here as orders places the order from
it; OrderPlaced from orders placed across an upgrade) holds every line or none
(StockService.reserve, all or nothing under concurrency) and answers StockReserved,
with the prices (promotions applied), names, SKUs and sellers of that moment, or
StockReservationFailed. The payments domain's PaymentSucceeded commits held stock (it
leaves on hand); OrderCancelled and OrderFailed give held stock back; OrderDelivered
marks the customer's reviews of those products as verified purchases.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.errors import InputErrors
from domains.products import events
from domains.products.errors import ProductErrorCode
from domains.products.models import ProductStatus
from domains.products.repositories.reviews import review_repository
from domains.products.repositories.stock import inventory_repository
from domains.products.repositories.variants import variant_repository
from domains.products.services.promoted_prices import PricedVariant, price_variants
from domains.products.services.stock import StockLine, stock

# Products holds an order's stock a little past the order's payment deadline: the
# orders domain expires the order (and asks for the release) first; the reservation
# sweeper is only the backstop if that never comes.
HOLD_GRACE = timedelta(minutes=5)


class OrderStockService:
    async def reserve_for_order(self, session: AsyncSession, event: events.OrderPlaced) -> None:
        now = datetime.now(UTC)
        wanted = [line for line in event.lines]
        variant_ids = sorted({line.variant_id for line in wanted})
        found = await variant_repository.with_products(session, variant_ids)
        variants = {variant.id: variant for variant, _ in found}
        products = {product.id: product for _, product in found}
        unavailable = [
            line
            for line in wanted
            if line.variant_id not in variants
            or products[variants[line.variant_id].product_id].status != ProductStatus.ACTIVE.value
        ]
        if unavailable:
            await self._failed(session, event.order_id, "VARIANT_UNAVAILABLE", unavailable, {})
            return
        if len({variants[line.variant_id].currency for line in wanted}) > 1:
            await self._failed(session, event.order_id, "CURRENCY_MISMATCH", wanted, {})
            return
        hold_until = max(event.payment_due_at, now) + HOLD_GRACE
        # The prices of this moment: list price under the best promotion live now. Read
        # before the hold, so that the answer is written with the levels the hold leaves,
        # in one statement.
        priced = {
            item.variant.id: item
            for item in await price_variants(
                session,
                [
                    (variants[variant_id], products[variants[variant_id].product_id])
                    for variant_id in variant_ids
                ],
                now,
            )
        }
        reserved = events.StockReserved(
            order_id=event.order_id,
            lines=[_reserved_line(priced[line.variant_id], line.quantity) for line in wanted],
            expires_at=hold_until,
        )
        try:
            # All or nothing, with nothing written when it fails (stock.reserve).
            await stock.reserve(
                session,
                event.order_id,
                [StockLine(line.variant_id, line.quantity) for line in wanted],
                hold_for=hold_until - now,
                now=now,
                also=[reserved],
            )
        except InputErrors as error:
            codes = {item.code for item in error.errors}
            if codes == {ProductErrorCode.ALREADY_RESERVED}:
                return  # held or sold already: the first answer stands
            short = [
                wanted[int(item.field.split(".")[1])]
                for item in error.errors
                if item.field and item.field.startswith("lines.")
            ]
            levels = {}
            for line in short:
                level = await inventory_repository.get(session, line.variant_id)
                levels[line.variant_id] = 0 if level is None else level.on_hand - level.reserved
            await self._failed(
                session, event.order_id, "INSUFFICIENT_STOCK", short or wanted, levels
            )

    async def _failed(
        self,
        session: AsyncSession,
        order_id: uuid.UUID,
        reason: str,
        lines: Sequence[events.OrderLineRequest],
        available: dict[uuid.UUID, int],
    ) -> None:
        await events.publish(
            session,
            events.StockReservationFailed(
                order_id=order_id,
                reason=reason,
                lines=[
                    events.ShortLine(
                        variant_id=line.variant_id,
                        requested=line.quantity,
                        available=max(available.get(line.variant_id, 0), 0),
                    )
                    for line in lines
                ],
            ),
        )

    async def release_for_order(
        self, session: AsyncSession, order_id: uuid.UUID, *, restock: bool = False
    ) -> None:
        """Held units go back; with `restock` (nothing of the order shipped), so do units
        a payment already committed."""
        await stock.release(session, order_id)
        if restock:
            await stock.restock(session, order_id)

    async def commit_for_order(self, session: AsyncSession, order_id: uuid.UUID) -> None:
        await stock.commit(session, order_id)

    async def verify_purchases(self, session: AsyncSession, event: events.OrderDelivered) -> int:
        """Reviews already written become verified; later ones are verified when written."""
        await review_repository.record_purchases(session, event.customer_id, event.product_ids)
        return await review_repository.mark_verified_purchases(
            session, event.customer_id, event.product_ids
        )


def _reserved_line(priced: PricedVariant, quantity: int) -> events.ReservedLine:
    variant, product, promotion = priced.variant, priced.product, priced.price.promotion
    return events.ReservedLine(
        variant_id=variant.id,
        product_id=product.id,
        seller_id=product.seller_id,
        product_name=product.name,
        sku=variant.sku,
        unit_price=priced.price.price,
        currency=variant.currency,
        quantity=quantity,
        list_unit_price=priced.price.list_price,
        promotion_name=None if promotion is None else promotion.name,
        category_ids=priced.category_ids,
    )


order_stock = OrderStockService()
