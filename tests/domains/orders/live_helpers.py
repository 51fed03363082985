"""Shared steps of the subscription tests: tokens with a shop, orders moved through the
orders service in committed units of work, the outbox relay, and subscribers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import strawberry
from strawberry.types import ExecutionResult

from domains.kit.auth import ALGORITHM, AUDIENCE, Role, Viewer
from domains.kit.db import transaction
from domains.kit.events import Relay, stream_key
from domains.kit.events.live import live_streams
from domains.kit.graphql.context import build_context
from domains.kit.resources import Resources
from domains.orders import events
from domains.orders.graphql.loaders import make_loaders
from domains.orders.models import EVENT_TABLES
from domains.orders.service import orders

# How many turns of the event loop a subscriber may take to register: a bound, so that
# a broken subscription fails the test instead of hanging it.
REGISTER_TURNS = 2_000


@dataclass(frozen=True)
class Person:
    user_id: uuid.UUID
    token: str
    roles: frozenset[Role]
    shop: uuid.UUID | None = None

    @property
    def viewer(self) -> Viewer:
        return Viewer(user_id=self.user_id, roles=self.roles, seller_profile_id=self.shop)


def person(resources: Resources, *roles: Role, shop: uuid.UUID | None = None) -> Person:
    """An account with an access token as the users domain issues it (`shop` for sellers)."""
    user_id = uuid.uuid4()
    now = datetime.now(UTC)
    keys = resources.jwt_keys
    assert keys.private_pem is not None
    claims: dict[str, Any] = {
        "iss": resources.settings.jwt_issuer,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "roles": sorted(role.value for role in roles),
        "typ": "access",
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    if shop is not None:
        claims["shop"] = str(shop)
    token = jwt.encode(claims, keys.private_pem, algorithm=ALGORITHM, headers={"kid": keys.key_id})
    return Person(user_id, token, frozenset(roles), shop)


def customer(resources: Resources) -> Person:
    return person(resources, Role.CUSTOMER)


def seller(resources: Resources) -> Person:
    return person(resources, Role.CUSTOMER, Role.SELLER, shop=uuid.uuid4())


def relay(resources: Resources) -> Relay:
    return Relay(resources, EVENT_TABLES, producer="orders")


@dataclass(frozen=True)
class PlacedOrder:
    order_id: uuid.UUID
    variants: list[uuid.UUID]
    sellers: list[Person]


async def place_order(
    resources: Resources, buyer: Person, sellers: Sequence[Person], *, reserve: bool = True
) -> PlacedOrder:
    """An order of one line per seller, placed (PENDING) and with `reserve` its stock
    reserved (AWAITING_PAYMENT), each step committed."""
    placed = PlacedOrder(uuid.uuid4(), [uuid.uuid4() for _ in sellers], list(sellers))
    async with transaction(resources.session_factory) as session:
        await orders.place(
            session,
            events.CheckoutRequested(
                checkout_id=uuid.uuid4(),
                order_id=placed.order_id,
                customer_id=buyer.user_id,
                idempotency_key=uuid.uuid4().hex,
                lines=[events.CheckoutLine(variant, 1, None, None) for variant in placed.variants],
                shipping_address=events.ShippingAddress(
                    "Ada", "Lovelace", "", "1 Analytical St", "", "London", "N1 9GU", "GB", "", ""
                ),
            ),
            payment_window=timedelta(hours=1),
        )
    if reserve:
        await reserve_stock(resources, placed)
    return placed


async def reserve_stock(resources: Resources, placed: PlacedOrder) -> None:
    """PENDING -> AWAITING_PAYMENT, as the products domain's reservation makes it."""
    async with transaction(resources.session_factory) as session:
        await orders.stock_reserved(
            session,
            events.StockReserved(
                order_id=placed.order_id,
                lines=[
                    events.ReservedLine(
                        variant_id=variant,
                        product_id=uuid.uuid4(),
                        seller_id=shop.shop or uuid.uuid4(),
                        product_name="Lamp",
                        sku=f"LAMP-{variant.hex[:6]}",
                        unit_price=1500,
                        currency="EUR",
                        quantity=1,
                    )
                    for variant, shop in zip(placed.variants, placed.sellers, strict=True)
                ],
            ),
        )


async def pay(resources: Resources, order_id: uuid.UUID) -> None:
    """AWAITING_PAYMENT -> PAID, as the payments domain's event makes it."""
    async with resources.session_factory() as session:
        (order,) = await orders.get_by_ids(session, [order_id])
        total, currency = order.total, order.currency
    assert currency is not None
    async with transaction(resources.session_factory) as session:
        moved = await orders.payment_succeeded(
            session, events.PaymentSucceeded(uuid.uuid4(), order_id, total, currency)
        )
    assert moved is not None


async def ship(resources: Resources, placed: PlacedOrder) -> None:
    """PAID -> FULFILLED: each seller ships their line."""
    async with resources.session_factory() as session:
        lines = await orders.lines_of(session, [placed.order_id])
    for shop in placed.sellers:
        ids = [str(line.id) for line in lines if line.seller_id == shop.shop]
        async with transaction(resources.session_factory) as session:
            await orders.fulfil(session, shop.viewer, placed.order_id, ids, "TRACK-1")


async def subscribe(
    schema: strawberry.federation.Schema,
    resources: Resources,
    who: Person,
    document: str,
    variables: dict[str, Any] | None = None,
) -> AsyncIterator[ExecutionResult]:
    """A subscription as the gateway opens it in-process: the subgraph schema's own
    `subscribe`, with the context a request of `who` gets."""
    context = await build_context(None, resources, make_loaders, f"Bearer {who.token}")
    stream = await schema.subscribe(document, variable_values=variables, context_value=context)
    assert not isinstance(stream, ExecutionResult), stream
    return stream


async def next_result(stream: AsyncIterator[ExecutionResult]) -> ExecutionResult:
    return await anext(stream)


async def registered(
    resources: Resources, event_name: str, count: int, first: asyncio.Task[Any] | None = None
) -> None:
    """Wait until `count` subscribers follow `event_name`'s stream in this process."""
    stream = stream_key(resources.settings, event_name)
    for _ in range(REGISTER_TURNS):
        if live_streams(resources).subscribers(stream) >= count:
            return
        if first is not None and first.done():
            first.result()  # a subscription that ended at once says why
        await asyncio.sleep(0.005)
    raise AssertionError(f"{count} subscribers never followed {event_name}")
