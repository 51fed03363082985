"""Fifty shoppers race for a voucher's last five uses, through the gateway.

Stock is plentiful, so only the voucher is contended: every shopper applied the code to
their cart while uses were left, then all fifty check out at once. Exactly five orders
carry the voucher; the other forty-five are refused by name, with no order and nothing
reserved. A cancelled order gives its use back, and a refused shopper's next checkout
gets it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from domains.carts.pricing.vouchers.models import Voucher, VoucherRedemption
from domains.kit.auth import Role
from domains.kit.resources import Resources
from domains.orders.models import Order
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.checkout import ADDRESS, cart_with, eventually, ok, stock
from tests.support.graphql import GraphQLClient
from tests.support.tokens import token_for

SHOPPERS = 50
USES = 5

CHECKOUT = """
mutation($cart: ID!, $address: ShippingAddressInput!, $key: String!) {
  checkoutComplete(cartId: $cart, shippingAddress: $address, idempotencyKey: $key) {
    status
    order { id total discounts { kind code amount } }
    errors { code message }
  }
}
"""


async def held_uses(resources: Resources) -> tuple[int, dict[str, int]]:
    async with resources.session_factory() as session:
        uses = await session.scalar(select(Voucher.uses_held).where(Voucher.code == "LAST5"))
        by_status = dict(
            (
                await session.execute(
                    select(VoucherRedemption.status, func.count()).group_by(
                        VoucherRedemption.status
                    )
                )
            ).all()
        )
    assert uses is not None
    return uses, by_status


async def test_fifty_shoppers_five_uses_make_exactly_five_discounted_orders(
    platform: GraphQLClient, resources: Resources
) -> None:
    catalog = Catalog(resources)
    seller = await catalog.seller()
    product = await catalog.product(
        seller, "Desk Lamp", variants=[VariantSpec(sku="LAMP", price=2000, stock=500)]
    )
    (variant,) = await catalog.variant_ids(product.id)
    staff = token_for(resources, uuid.uuid4(), Role.CUSTOMER, Role.STAFF)
    created = await ok(
        platform,
        "mutation($input: VoucherCreateInput!) { voucherCreate(input: $input) "
        "{ voucher { id } errors { code message } } }",
        {
            "input": {
                "code": "LAST5",
                "name": "Last five",
                "kind": "FIXED",
                "value": 300,
                "currency": "USD",
                "scope": "ORDER",
                "usageLimit": USES,
            }
        },
        staff,
    )
    assert created["voucherCreate"]["errors"] == []
    tokens = [token_for(resources, uuid.uuid4()) for _ in range(SHOPPERS)]
    carts = await asyncio.gather(
        *(
            cart_with(platform, token, [{"variantId": str(variant), "quantity": 1}])
            for token in tokens
        )
    )

    async def priced() -> bool:
        """Carts has heard the lamp's price (by event): a voucher needs a priced cart."""
        answer = await platform.execute(
            'mutation($cart: ID!) { cartVoucherApply(cartId: $cart, code: "LAST5") '
            "{ errors { code } } }",
            {"cart": carts[0]},
            token=tokens[0],
        )
        return bool(answer.ok()["cartVoucherApply"]["errors"] == [])

    await eventually(priced)
    applied = await asyncio.gather(
        *(
            ok(
                platform,
                'mutation($cart: ID!) { cartVoucherApply(cartId: $cart, code: "LAST5") '
                "{ errors { code } } }",
                {"cart": cart},
                token,
            )
            for token, cart in zip(tokens[1:], carts[1:], strict=True)
        )
    )
    assert all(answer["cartVoucherApply"]["errors"] == [] for answer in applied)

    responses = await asyncio.gather(
        *(
            platform.execute(CHECKOUT, {"cart": cart, "address": ADDRESS, "key": "k1"}, token=token)
            for token, cart in zip(tokens, carts, strict=True)
        )
    )
    answers: list[dict[str, Any]] = [r.ok()["checkoutComplete"] for r in responses]

    outcomes = Counter(
        (answer["status"], tuple(error["code"] for error in answer["errors"])) for answer in answers
    )
    assert outcomes == {
        ("AWAITING_PAYMENT", ()): USES,
        (None, ("VOUCHER_USED_UP",)): SHOPPERS - USES,
    }
    placed = [answer["order"] for answer in answers if answer["status"] == "AWAITING_PAYMENT"]
    assert all(
        order["discounts"] == [{"kind": "VOUCHER", "code": "LAST5", "amount": 300}]
        and order["total"] == 2000 - 300 + 500
        for order in placed
    ), placed
    refused = [answer for answer in answers if answer["status"] is None]
    assert all("LAST5" in answer["errors"][0]["message"] for answer in refused), refused[0]
    async with resources.session_factory() as session:
        orders = await session.scalar(select(func.count()).select_from(Order))
    assert orders == USES, "a refused checkout leaves no order behind"
    assert await stock(resources, variant) == (500, USES)
    assert await held_uses(resources) == (USES, {"RESERVED": USES})

    winner = next(i for i, answer in enumerate(answers) if answer["status"] == "AWAITING_PAYMENT")
    cancelled = await ok(
        platform,
        "mutation($id: ID!) { orderCancel(id: $id) { order { status } errors { code } } }",
        {"id": answers[winner]["order"]["id"]},
        tokens[winner],
    )
    assert cancelled["orderCancel"]["order"]["status"] == "CANCELLED"

    async def use_given_back() -> bool:
        return await held_uses(resources) == (USES - 1, {"RESERVED": USES - 1, "RELEASED": 1})

    await eventually(use_given_back)
    loser = next(i for i, answer in enumerate(answers) if answer["status"] is None)
    retried = (
        await ok(
            platform,
            CHECKOUT,
            {"cart": carts[loser], "address": ADDRESS, "key": "k2"},
            tokens[loser],
        )
    )["checkoutComplete"]
    assert retried["errors"] == []
    assert retried["status"] == "AWAITING_PAYMENT"
    assert retried["order"]["discounts"] == [{"kind": "VOUCHER", "code": "LAST5", "amount": 300}]
    assert await held_uses(resources) == (USES, {"RESERVED": USES, "RELEASED": 1})
