"""Shoppers that keep browsing, filling carts, checking out and paying while a test
breaks a server under them, and that judge every answer they get.

Each shopper loops until told to stop: a catalog listing (anonymous), a cart with one or
two lines, `checkoutComplete` with a fresh idempotency key and, when the order awaits
payment, `paymentSimulate` (the local payment provider). An answer is either *correct*
(data, with every payload error carrying a code), *refused* (HTTP or GraphQL errors, each
with a code in `extensions`) or *bad*: an error without a code, a body that is not
GraphQL, a transport failure, or no answer within REQUEST_BOUND_SECONDS. Tests assert
that no answer was bad.

`finish` then asks again, with the same key, every checkout whose answer was not a
decision (PENDING, refused, or bad), until each is decided; the order ids answered per
(customer, key) are what `tests.support.consistency.audit` checks against the database.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.checkout import ADDRESS
from tests.support.graphql import GraphQLClient

REQUEST_BOUND_SECONDS = 30.0
# A checkout answered with payload errors and no status was refused before any order.
DECIDED = ("AWAITING_PAYMENT", "FAILED", "REFUSED")

LISTING = """
query { products(first: 5) { edges { node { id name variants { id price { amount } } } } } }
"""
CART_CREATE = """
mutation($lines: [CartLineInput!]) {
  cartCreate(lines: $lines) { cart { id } errors { code } }
}
"""
CART_LINES_ADD = """
mutation($id: ID!, $lines: [CartLineInput!]!) {
  cartLinesAdd(cartId: $id, lines: $lines) { cart { id } errors { code } }
}
"""
CHECKOUT = """
mutation($cart: ID!, $address: ShippingAddressInput!, $key: String!) {
  checkoutComplete(cartId: $cart, shippingAddress: $address, idempotencyKey: $key) {
    status orderId errors { code }
  }
}
"""
ORDER_PAYMENT = "query($id: ID!) { order(id: $id) { status payment { id status } } }"
PAY = """
mutation($id: ID!) {
  paymentSimulate(paymentId: $id, outcome: SUCCEED) { payment { status } errors { code } }
}
"""


@dataclass(frozen=True)
class Shopper:
    customer_id: uuid.UUID
    token: str


@dataclass
class Checkout:
    shopper: Shopper
    cart_id: str
    key: str
    status: str | None = None


@dataclass
class Ledger:
    """What every request was answered, and what every checkout was."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)
    # (customer id, key) -> every order id answered for it
    answered: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    checkouts: list[Checkout] = field(default_factory=list)
    paid: int = 0

    def count(self, operation: str, outcome: str) -> None:
        self.outcomes[(operation, outcome)] += 1

    def summary(self) -> dict[str, int]:
        return {f"{op} {outcome}": n for (op, outcome), n in sorted(self.outcomes.items())}


def _payload_codes(value: Any) -> bool:
    """Whether every payload `errors` list in the data names a code."""
    if isinstance(value, dict):
        errors = value.get("errors")
        if isinstance(errors, list) and any(
            not (isinstance(error, dict) and error.get("code")) for error in errors
        ):
            return False
        return all(_payload_codes(inner) for inner in value.values())
    if isinstance(value, list):
        return all(_payload_codes(inner) for inner in value)
    return True


async def ask(
    client: GraphQLClient,
    ledger: Ledger,
    operation: str,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> Any:
    """The data of a correct answer, else None; the answer is judged in the ledger."""
    try:
        async with asyncio.timeout(REQUEST_BOUND_SECONDS):
            response = await client.execute(query, variables, token=token)
    except TimeoutError:
        ledger.count(operation, "bad")
        ledger.bad.append(f"{operation}: no answer within {REQUEST_BOUND_SECONDS}s")
        return None
    except (httpx.HTTPError, ValueError, OSError) as error:
        ledger.count(operation, "bad")
        ledger.bad.append(f"{operation}: {error!r}")
        return None
    except Exception as error:  # an exception out of an in-process app: a 500
        ledger.count(operation, "bad")
        ledger.bad.append(f"{operation}: the app raised {error!r}")
        return None
    if response.errors:
        codes = response.error_codes
        if all(codes):
            ledger.count(operation, f"refused {'/'.join(sorted(set(map(str, codes))))}")
        else:
            ledger.count(operation, "bad")
            ledger.bad.append(f"{operation}: HTTP {response.status_code} {response.errors}")
        return None
    if response.status_code != 200 or response.data is None:
        ledger.count(operation, "bad")
        ledger.bad.append(f"{operation}: HTTP {response.status_code} {response.body}")
        return None
    if not _payload_codes(response.data):
        ledger.count(operation, "bad")
        ledger.bad.append(f"{operation}: a payload error without a code {response.data}")
        return None
    ledger.count(operation, "ok")
    return response.data


async def _checkout(client: GraphQLClient, ledger: Ledger, checkout: Checkout) -> str | None:
    """Ask for the checkout's decision once; the status answered, None when refused."""
    shopper = checkout.shopper
    data = await ask(
        client,
        ledger,
        "checkout",
        CHECKOUT,
        {"cart": checkout.cart_id, "address": ADDRESS, "key": checkout.key},
        shopper.token,
    )
    if data is None:
        return None
    answer = data["checkoutComplete"]
    if answer["orderId"] is not None:
        ledger.answered.setdefault((str(shopper.customer_id), checkout.key), []).append(
            str(answer["orderId"])
        )
    checkout.status = str(answer["status"] or "REFUSED")
    return checkout.status


async def _pay(client: GraphQLClient, ledger: Ledger, shopper: Shopper, order_id: str) -> None:
    """Pay once the payment is opened (it follows the order's status by an event)."""
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        data = await ask(client, ledger, "order", ORDER_PAYMENT, {"id": order_id}, shopper.token)
        payment = data and data["order"] and data["order"]["payment"]
        if payment:
            paid = await ask(client, ledger, "pay", PAY, {"id": payment["id"]}, shopper.token)
            if paid and paid["paymentSimulate"]["errors"] == []:
                ledger.paid += 1
            return
        await asyncio.sleep(0.2)


async def shop(
    client: GraphQLClient,
    ledger: Ledger,
    shopper: Shopper,
    variants: Sequence[uuid.UUID],
    stop: asyncio.Event,
    *,
    name: str,
    pay: bool = True,
) -> None:
    """One shopper's loop, until `stop` is set."""
    rounds = 0
    chooser = random.Random(name)
    while not stop.is_set():
        rounds += 1
        await ask(client, ledger, "listing", LISTING)
        picked = chooser.sample(list(variants), k=min(2, len(variants)))
        data = await ask(
            client,
            ledger,
            "cartCreate",
            CART_CREATE,
            {"lines": [{"variantId": str(picked[0]), "quantity": chooser.randint(1, 2)}]},
            shopper.token,
        )
        cart = data and data["cartCreate"]["cart"]
        if not cart:
            await asyncio.sleep(0.1)
            continue
        if len(picked) > 1:
            await ask(
                client,
                ledger,
                "cartLinesAdd",
                CART_LINES_ADD,
                {"id": cart["id"], "lines": [{"variantId": str(picked[1]), "quantity": 1}]},
                shopper.token,
            )
        checkout = Checkout(shopper, str(cart["id"]), f"{name}-{rounds}")
        ledger.checkouts.append(checkout)
        status = await _checkout(client, ledger, checkout)
        if pay and status == "AWAITING_PAYMENT":
            order_ids = ledger.answered[(str(shopper.customer_id), checkout.key)]
            await _pay(client, ledger, shopper, order_ids[-1])


async def traffic(
    client: GraphQLClient,
    ledger: Ledger,
    shoppers: Sequence[Shopper],
    variants: Sequence[uuid.UUID],
    stop: asyncio.Event,
    *,
    pay: bool = True,
) -> None:
    await asyncio.gather(
        *(
            shop(client, ledger, shopper, variants, stop, name=f"shopper{index}", pay=pay)
            for index, shopper in enumerate(shoppers)
        )
    )


async def finish(client: GraphQLClient, ledger: Ledger, *, seconds: float = 60.0) -> list[str]:
    """Ask again, with the same key, every checkout not yet decided, until all are; the
    checkouts still undecided after `seconds`."""
    deadline = time.monotonic() + seconds
    open_checkouts = [c for c in ledger.checkouts if c.status not in DECIDED]
    while open_checkouts and time.monotonic() < deadline:
        for checkout in open_checkouts:
            await _checkout(client, ledger, checkout)
        open_checkouts = [c for c in open_checkouts if c.status not in DECIDED]
        if open_checkouts:
            await asyncio.sleep(0.5)
    return [f"{c.key}: {c.status}" for c in open_checkouts]
