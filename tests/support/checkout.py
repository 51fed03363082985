"""The pieces of a checkout journey the end-to-end tests share: a shipping address, the
checkoutComplete mutation, a cart with lines, stock levels read from the database, and
bounded polling for what background workers do."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from domains.kit.resources import Resources
from domains.products.models import Inventory
from tests.support.graphql import GraphQLClient

ADDRESS = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "streetAddress1": "1 Analytical Way",
    "city": "London",
    "postalCode": "N1 7AA",
    "countryCode": "GB",
}
CHECKOUT = """
mutation($cart: ID!, $address: ShippingAddressInput!, $key: String!) {
  checkoutComplete(cartId: $cart, shippingAddress: $address, idempotencyKey: $key) {
    status orderId
    order { id number status subtotal shipping tax total currency
            lines { productName sku unitPrice quantity seller { id } } }
    errors { code message variantIds lineIds }
  }
}
"""


async def ok(
    client: GraphQLClient, query: str, variables: Any = None, token: str | None = None
) -> Any:
    response = await client.execute(query, variables, token=token)
    assert response.status_code == 200
    return response.ok()


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """For effects of background workers the test cannot step: bounded polling."""
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "the platform did not get there in time"
        await asyncio.sleep(0.02)


async def stock(resources: Resources, variant_id: uuid.UUID) -> tuple[int, int]:
    async with resources.session_factory() as session:
        row = await session.get(Inventory, variant_id, populate_existing=True)
    assert row is not None
    return row.on_hand, row.reserved


async def cart_with(client: GraphQLClient, token: str | None, lines: list[dict[str, Any]]) -> str:
    created = await ok(
        client,
        "mutation($lines: [CartLineInput!]) { cartCreate(lines: $lines) "
        "{ cart { id } errors { code } } }",
        {"lines": lines},
        token=token,
    )
    assert created["cartCreate"]["errors"] == []
    return str(created["cartCreate"]["cart"]["id"])
