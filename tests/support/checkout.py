"""The pieces of a checkout journey the end-to-end tests share: a shipping address, the
checkoutComplete mutation, a signed-in customer's token, a cart with lines, stock levels
read from the database, and bounded polling for what background workers do."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from domains.kit.auth import ALGORITHM, AUDIENCE, Role
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


def token_for(
    resources: Resources, user_id: uuid.UUID, *roles: Role, shop: uuid.UUID | None = None
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": resources.settings.jwt_issuer,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "roles": sorted(role.value for role in roles or (Role.CUSTOMER,)),
        "typ": "access",
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    if shop is not None:
        claims["shop"] = str(shop)
    assert resources.jwt_keys.private_pem is not None
    return jwt.encode(
        claims,
        resources.jwt_keys.private_pem,
        algorithm=ALGORITHM,
        headers={"kid": resources.jwt_keys.key_id},
    )


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
