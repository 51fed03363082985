"""Carts: guest and customer carts, lines and their limits, merging, expiry, access."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from domains.carts import events
from domains.carts.config import CartsConfig
from domains.carts.models import Cart
from domains.carts.service import offers
from domains.carts.sweeper import expire_once
from domains.kit.db import transaction
from domains.kit.resources import Resources
from tests.support.graphql import GraphQLClient
from tests.support.tokens import Customer

CART_FIELDS = "id status currency isGuest totalQuantity lines { id quantity variant { id } }"
PAYLOAD = f"cart {{ {CART_FIELDS} }} errors {{ field code message }}"


async def _create(client: GraphQLClient, token: str | None = None, lines: Any = None) -> Any:
    response = await client.execute(
        f"mutation($lines: [CartLineInput!]) {{ cartCreate(lines: $lines) {{ {PAYLOAD} }} }}",
        {"lines": lines},
        token=token,
    )
    return response.ok()["cartCreate"]


async def _add(client: GraphQLClient, cart_id: str, lines: Any, token: str | None = None) -> Any:
    response = await client.execute(
        "mutation($id: ID!, $lines: [CartLineInput!]!) "
        f"{{ cartLinesAdd(cartId: $id, lines: $lines) {{ {PAYLOAD} }} }}",
        {"id": cart_id, "lines": lines},
        token=token,
    )
    return response.ok()["cartLinesAdd"]


async def _known_variant(
    resources: Resources, *, price: int = 1500, currency: str = "USD", available: int = 10
) -> str:
    variant_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with transaction(resources.session_factory) as session:
        await offers.record_price(
            session, events.VariantPriceChanged(variant_id, price, currency, now)
        )
        await offers.record_stock(session, events.StockLevelChanged(variant_id, available, now))
    return str(variant_id)


async def test_a_guest_fills_a_cart_and_opens_it_by_its_id(carts_client: GraphQLClient) -> None:
    variant = str(uuid.uuid4())
    created = await _create(carts_client, lines=[{"variantId": variant, "quantity": 2}])
    cart = created["cart"]

    added = await _add(carts_client, cart["id"], [{"variantId": variant, "quantity": 3}])
    fetched = await carts_client.execute(
        f"query($id: ID!) {{ cart(id: $id) {{ {CART_FIELDS} }} }}", {"id": cart["id"]}
    )

    assert created["errors"] == []
    assert cart["isGuest"] is True
    assert added["cart"]["lines"][0]["quantity"] == 5
    assert fetched.ok()["cart"]["totalQuantity"] == 5
    assert fetched.ok()["cart"]["lines"][0]["variant"] == {"id": variant}


async def test_quantities_lines_and_currency_have_limits(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    cart = (await _create(carts_client))["cart"]
    usd = await _known_variant(resources, currency="USD")
    eur = await _known_variant(resources, currency="EUR")

    zero = await _add(carts_client, cart["id"], [{"variantId": usd, "quantity": 0}])
    too_many = await _add(carts_client, cart["id"], [{"variantId": usd, "quantity": 1000}])
    await _add(carts_client, cart["id"], [{"variantId": usd, "quantity": 990}])
    over = await _add(carts_client, cart["id"], [{"variantId": usd, "quantity": 10}])
    mixed = await _add(carts_client, cart["id"], [{"variantId": eur, "quantity": 1}])
    lines = [{"variantId": str(uuid.uuid4()), "quantity": 1} for _ in range(100)]
    hundred_and_one = await _add(carts_client, cart["id"], lines)

    assert [e["code"] for e in zero["errors"]] == ["INVALID_QUANTITY"]
    assert zero["errors"][0]["field"] == "lines.0.quantity"
    assert [e["code"] for e in too_many["errors"]] == ["INVALID_QUANTITY"]
    assert [e["code"] for e in over["errors"]] == ["INVALID_QUANTITY"]
    assert [e["code"] for e in mixed["errors"]] == ["CURRENCY_MISMATCH"]
    assert [e["code"] for e in hundred_and_one["errors"]] == ["TOO_MANY_LINES"]
    fetched = await carts_client.execute(
        f"query($id: ID!) {{ cart(id: $id) {{ {CART_FIELDS} }} }}", {"id": cart["id"]}
    )
    assert fetched.ok()["cart"]["currency"] == "USD"
    assert fetched.ok()["cart"]["totalQuantity"] == 990


async def test_lines_are_updated_and_removed(carts_client: GraphQLClient) -> None:
    created = await _create(
        carts_client,
        lines=[
            {"variantId": str(uuid.uuid4()), "quantity": 1},
            {"variantId": str(uuid.uuid4()), "quantity": 1},
        ],
    )
    cart = created["cart"]
    first, second = (line["id"] for line in cart["lines"])

    updated = await carts_client.execute(
        "mutation($id: ID!, $lines: [CartLineUpdateInput!]!) "
        f"{{ cartLinesUpdate(cartId: $id, lines: $lines) {{ {PAYLOAD} }} }}",
        {"id": cart["id"], "lines": [{"lineId": first, "quantity": 7}]},
    )
    removed = await carts_client.execute(
        "mutation($id: ID!, $ids: [ID!]!) "
        f"{{ cartLinesRemove(cartId: $id, lineIds: $ids) {{ {PAYLOAD} }} }}",
        {"id": cart["id"], "ids": [second]},
    )
    missing = await carts_client.execute(
        "mutation($id: ID!, $ids: [ID!]!) "
        f"{{ cartLinesRemove(cartId: $id, lineIds: $ids) {{ {PAYLOAD} }} }}",
        {"id": cart["id"], "ids": [second]},
    )

    assert updated.ok()["cartLinesUpdate"]["cart"]["totalQuantity"] == 8
    assert [line["id"] for line in removed.ok()["cartLinesRemove"]["cart"]["lines"]] == [first]
    assert [e["code"] for e in missing.ok()["cartLinesRemove"]["errors"]] == ["NOT_FOUND"]


async def test_a_customer_cart_is_theirs_alone(
    carts_client: GraphQLClient, customer: Customer, other_customer: Customer
) -> None:
    mine = (await _create(carts_client, customer.token))["cart"]
    again = (await _create(carts_client, customer.token))["cart"]
    unknown = str(uuid.uuid4())
    read = "query($id: ID!) { cart(id: $id) { id } }"
    add = (
        "mutation($id: ID!) { cartLinesAdd(cartId: $id, lines: [{variantId: "
        f'"{uuid.uuid4()}"}}]) {{ cart {{ id }} errors {{ field code message }} }} }}'
    )

    as_other = await carts_client.execute(read, {"id": mine["id"]}, token=other_customer.token)
    as_guest = await carts_client.execute(read, {"id": mine["id"]})
    add_as_other = await carts_client.execute(add, {"id": mine["id"]}, token=other_customer.token)
    via_entity = await carts_client.execute(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { cart { id } } } }",
        {"r": [{"__typename": "User", "id": str(customer.id)}]},
        token=customer.token,
    )
    via_entity_other = await carts_client.execute(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { cart { id } } } }",
        {"r": [{"__typename": "User", "id": str(customer.id)}]},
        token=other_customer.token,
    )

    assert again["id"] == mine["id"], "one open cart per customer"
    assert mine["isGuest"] is False
    # Another customer's cart answers exactly as an id that names no cart: no oracle.
    assert as_other.body == {"data": {"cart": None}}
    assert (
        as_other.body
        == (await carts_client.execute(read, {"id": unknown}, token=other_customer.token)).body
    )
    assert as_guest.body == (await carts_client.execute(read, {"id": unknown})).body
    assert (
        add_as_other.body
        == (await carts_client.execute(add, {"id": unknown}, token=other_customer.token)).body
    )
    assert add_as_other.ok()["cartLinesAdd"]["errors"][0]["code"] == "NOT_FOUND"
    assert via_entity.ok()["_entities"] == [{"cart": {"id": mine["id"]}}]
    assert via_entity_other.error_codes == ["FORBIDDEN"]


async def test_merging_sums_quantities_capped_by_stock(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    scarce = await _known_variant(resources, available=4)
    plenty = await _known_variant(resources, available=100)
    unknown = str(uuid.uuid4())
    guest = (
        await _create(
            carts_client,
            lines=[
                {"variantId": scarce, "quantity": 3},
                {"variantId": plenty, "quantity": 2},
                {"variantId": unknown, "quantity": 1},
            ],
        )
    )["cart"]
    await _create(carts_client, customer.token, lines=[{"variantId": scarce, "quantity": 2}])

    merged = await carts_client.execute(
        f"mutation($id: ID!) {{ cartMerge(guestCartId: $id) {{ {PAYLOAD} }} }}",
        {"id": guest["id"]},
        token=customer.token,
    )
    again = await carts_client.execute(
        f"mutation($id: ID!) {{ cartMerge(guestCartId: $id) {{ {PAYLOAD} }} }}",
        {"id": guest["id"]},
        token=customer.token,
    )
    guest_after = await carts_client.execute(
        "query($id: ID!) { cart(id: $id) { status } }", {"id": guest["id"]}
    )

    cart = merged.ok()["cartMerge"]["cart"]
    quantities = {line["variant"]["id"]: line["quantity"] for line in cart["lines"]}
    assert quantities == {scarce: 4, plenty: 2, unknown: 1}
    assert cart["currency"] == "USD"
    assert [e["code"] for e in again.ok()["cartMerge"]["errors"]] == ["CART_CLOSED"]
    assert guest_after.ok()["cart"]["status"] == "MERGED"


async def test_a_guest_cart_merged_without_a_customer_cart_becomes_theirs(
    carts_client: GraphQLClient, customer: Customer
) -> None:
    guest = (await _create(carts_client, lines=[{"variantId": str(uuid.uuid4())}]))["cart"]

    merged = await carts_client.execute(
        f"mutation($id: ID!) {{ cartMerge(guestCartId: $id) {{ {PAYLOAD} }} }}",
        {"id": guest["id"]},
        token=customer.token,
    )

    cart = merged.ok()["cartMerge"]["cart"]
    assert cart["id"] == guest["id"]
    assert cart["isGuest"] is False


async def test_abandoned_guest_carts_expire(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    guest = (await _create(carts_client, lines=[{"variantId": str(uuid.uuid4())}]))["cart"]
    mine = (await _create(carts_client, customer.token))["cart"]
    config = CartsConfig.from_env({"CART_GUEST_LIFETIME": "30d"})

    early = await expire_once(resources, config, now=datetime.now(UTC) + timedelta(days=29))
    late = await expire_once(resources, config, now=datetime.now(UTC) + timedelta(days=31))

    async with resources.session_factory() as session:
        rows = (await session.execute(select(Cart.id, Cart.status))).all()
    statuses = {row.id: row.status for row in rows}
    assert (early, late) == (0, 1)
    assert statuses[uuid.UUID(guest["id"])] == "EXPIRED"
    assert statuses[uuid.UUID(mine["id"])] == "OPEN"
    added = await _add(carts_client, guest["id"], [{"variantId": str(uuid.uuid4())}])
    assert [e["code"] for e in added["errors"]] == ["CART_CLOSED"]


def test_the_config_reads_durations() -> None:
    config = CartsConfig.from_env({"CART_GUEST_LIFETIME": "7d", "CHECKOUT_WAIT": "3"})

    assert config.guest_cart_lifetime == timedelta(days=7)
    assert config.checkout_wait == timedelta(seconds=3)
    assert CartsConfig.from_env({}).guest_cart_lifetime == timedelta(days=30)


async def _count(resources: Resources, model: Any) -> int:
    async with resources.session_factory() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())
