"""The redemption ledger under a race: fifty checkouts, each in its own transaction on
real Postgres, reaching for a voucher's last five uses get exactly five; one customer's
two checkouts racing for a once-per-customer voucher get exactly one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from domains.carts.errors import CartErrorCode
from domains.carts.models import Cart
from domains.carts.pricing.money import CartItem
from domains.carts.pricing.vouchers import service as vouchers
from domains.carts.pricing.vouchers.models import CartVoucher, Voucher, VoucherRedemption
from domains.kit.db import transaction
from domains.kit.errors import InputErrors
from domains.kit.resources import Resources

SHOPPERS = 50
SELLER = uuid.uuid4()


def _items() -> list[CartItem]:
    return [
        CartItem(
            variant_id=uuid.uuid4(),
            product_id=uuid.uuid4(),
            seller_id=SELLER,
            category_ids=frozenset(),
            quantity=1,
            list_unit_price=2500,
            unit_price=2500,
            promotion_name=None,
        )
    ]


async def _voucher(resources: Resources, code: str, **columns: object) -> uuid.UUID:
    async with transaction(resources.session_factory) as session:
        voucher = Voucher(
            code=code, name="Flash", kind="PERCENTAGE", value=2000, scope="ORDER", **columns
        )
        session.add(voucher)
        await session.flush()
        return voucher.id


async def _carts_holding(
    resources: Resources, voucher_id: uuid.UUID, count: int
) -> list[uuid.UUID]:
    """`count` guest carts with the voucher applied (reserve reads only the codes)."""
    carts = [Cart(currency="USD") for _ in range(count)]
    async with transaction(resources.session_factory) as session:
        session.add_all(carts)
        await session.flush()
        session.add_all(
            CartVoucher(cart_id=cart.id, voucher_id=voucher_id, position=1) for cart in carts
        )
    return [cart.id for cart in carts]


async def _checkout(
    resources: Resources, cart_id: uuid.UUID, customer_id: uuid.UUID
) -> uuid.UUID | InputErrors:
    """One checkout's transaction reserving the cart's vouchers: its order id, or why not
    (the transaction then rolled back)."""
    order_id = uuid.uuid4()
    try:
        async with transaction(resources.session_factory) as session:
            await vouchers.reserve(
                session,
                cart_id=cart_id,
                customer_id=customer_id,
                checkout_id=uuid.uuid4(),
                order_id=order_id,
                items=_items(),
                now=datetime.now(UTC),
                currency="USD",
            )
    except InputErrors as refused:
        return refused
    return order_id


async def _race(
    resources: Resources, cart_ids: Sequence[uuid.UUID], customer_ids: Sequence[uuid.UUID]
) -> tuple[list[uuid.UUID], list[InputErrors]]:
    outcomes = await asyncio.gather(
        *(
            _checkout(resources, cart_id, customer_id)
            for cart_id, customer_id in zip(cart_ids, customer_ids, strict=True)
        )
    )
    orders = [outcome for outcome in outcomes if isinstance(outcome, uuid.UUID)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, InputErrors)]
    return orders, refusals


async def _ledger(resources: Resources, voucher_id: uuid.UUID) -> tuple[int, list[str]]:
    async with resources.session_factory() as session:
        held = await session.scalar(select(Voucher.uses_held).where(Voucher.id == voucher_id))
        statuses = (
            await session.scalars(
                select(VoucherRedemption.status)
                .where(VoucherRedemption.voucher_id == voucher_id)
                .order_by(VoucherRedemption.status)
            )
        ).all()
    assert held is not None
    return held, list(statuses)


async def test_fifty_shoppers_racing_for_the_last_five_uses_get_exactly_five(
    resources: Resources,
) -> None:
    voucher_id = await _voucher(resources, "FLASH20", usage_limit=100, uses_held=95)
    cart_ids = await _carts_holding(resources, voucher_id, SHOPPERS + 1)
    customers = [uuid.uuid4() for _ in range(SHOPPERS + 1)]

    orders, refusals = await _race(resources, cart_ids[:SHOPPERS], customers[:SHOPPERS])
    after_race = await _ledger(resources, voucher_id)
    # One of the five orders is cancelled before payment: its use comes back...
    async with transaction(resources.session_factory) as session:
        await vouchers.settle(session, orders[0], "CANCELLED")
    after_cancel = await _ledger(resources, voucher_id)
    # ...and the next shopper gets it.
    late = await _checkout(resources, cart_ids[SHOPPERS], customers[SHOPPERS])
    after_late = await _ledger(resources, voucher_id)

    assert len(orders) == 5
    assert len(refusals) == 45
    assert {
        (error.field, error.code, error.message) for refusal in refusals for error in refusal.errors
    } == {("cartId", CartErrorCode.VOUCHER_USED_UP, "The voucher FLASH20 has been used up.")}
    assert after_race == (100, ["RESERVED"] * 5)
    assert after_cancel == (99, ["RELEASED"] + ["RESERVED"] * 4)
    assert isinstance(late, uuid.UUID)
    assert after_late == (100, ["RELEASED"] + ["RESERVED"] * 5)


async def test_one_customers_racing_checkouts_get_a_once_per_customer_voucher_once(
    resources: Resources,
) -> None:
    voucher_id = await _voucher(resources, "FIRSTORDER", per_customer_limit=1)
    customer_id = uuid.uuid4()
    cart_ids = await _carts_holding(resources, voucher_id, 4)

    orders, refusals = await _race(resources, cart_ids, [customer_id] * 4)

    assert len(orders) == 1
    assert [error.code for refusal in refusals for error in refusal.errors] == [
        CartErrorCode.VOUCHER_ALREADY_USED
    ] * 3
    assert await _ledger(resources, voucher_id) == (1, ["RESERVED"])
