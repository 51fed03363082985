"""Vouchers: applying and removing codes (every refusal with its cause, nothing written),
staff and sellers managing them, the ledger's reserve and settle, and offers learning the
product details vouchers are checked against."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from domains.carts import events
from domains.carts.consumers import subscriptions
from domains.carts.errors import CartErrorCode
from domains.carts.models import EVENT_TABLES, Cart, CartLine, Checkout, VariantOffer
from domains.carts.pricing.items import UnpricedLines, items_of
from domains.carts.pricing.money import CartItem
from domains.carts.pricing.vouchers import service as vouchers
from domains.carts.pricing.vouchers.models import (
    CartVoucher,
    RedemptionStatus,
    Voucher,
    VoucherRedemption,
)
from domains.carts.service import offers
from domains.kit.auth import Role
from domains.kit.db import transaction
from domains.kit.errors import InputErrors
from domains.kit.events import Consumer, stream_key
from domains.kit.resources import Resources
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter
from tests.support.tokens import Customer, token_for

SELLER = uuid.uuid4()
OTHER_SELLER = uuid.uuid4()
PRODUCT = uuid.uuid4()
BOOKS = uuid.uuid4()

CART = "id vouchers { code name } lines { id }"
APPLY = (
    "mutation($cart: ID!, $code: String!) { cartVoucherApply(cartId: $cart, code: $code) "
    f"{{ cart {{ {CART} }} errors {{ field code message }} }} }}"
)
REMOVE = (
    "mutation($cart: ID!, $code: String!) { cartVoucherRemove(cartId: $cart, code: $code) "
    f"{{ cart {{ {CART} }} errors {{ field code message }} }} }}"
)
VOUCHER = (
    "id code name kind value scope sellerId categoryIds productIds minSubtotal currency "
    "usageLimit perCustomerLimit combinable usesHeld endedAt"
)
CREATE = (
    "mutation($input: VoucherCreateInput!) { voucherCreate(input: $input) "
    f"{{ voucher {{ {VOUCHER} }} errors {{ field code message }} }} }}"
)
UPDATE = (
    "mutation($id: ID!, $input: VoucherUpdateInput!) { voucherUpdate(id: $id, input: $input) "
    f"{{ voucher {{ {VOUCHER} }} errors {{ field code message }} }} }}"
)
END = (
    "mutation($id: ID!) { voucherEnd(id: $id) "
    f"{{ voucher {{ {VOUCHER} }} errors {{ field code message }} }} }}"
)
LIST = "{ vouchers(first: 10) { totalCount nodes { code sellerId } } }"


async def _variant(
    resources: Resources,
    *,
    price: int = 1500,
    list_price: int | None = None,
    promotion: str | None = None,
    seller: uuid.UUID = SELLER,
    product: uuid.UUID = PRODUCT,
    categories: Sequence[uuid.UUID] = (),
    currency: str = "USD",
) -> str:
    """A variant carts heard of from products' VariantPriceChanged."""
    variant_id = uuid.uuid4()
    async with transaction(resources.session_factory) as session:
        await offers.record_price(
            session,
            events.VariantPriceChanged(
                variant_id,
                price,
                currency,
                datetime.now(UTC),
                product_id=product,
                seller_id=seller,
                list_price_amount=list_price,
                promotion_name=promotion,
                category_ids=list(categories),
            ),
        )
    return str(variant_id)


async def _cart(
    client: GraphQLClient, variants: Sequence[tuple[str, int]], token: str | None = None
) -> str:
    response = await client.execute(
        "mutation($lines: [CartLineInput!]) { cartCreate(lines: $lines) { cart { id } } }",
        {"lines": [{"variantId": v, "quantity": q} for v, q in variants]},
        token=token,
    )
    cart_id: str = response.ok()["cartCreate"]["cart"]["id"]
    return cart_id


async def _voucher(resources: Resources, code: str, **columns: Any) -> Voucher:
    """A voucher written as it is stored: 10 % off the order, unless `columns` say."""
    values: dict[str, Any] = {
        "code": code,
        "name": f"{code.title()} offer",
        "kind": "PERCENTAGE",
        "value": 1000,
        "scope": "ORDER",
        "combinable": True,
        **columns,
    }
    async with transaction(resources.session_factory) as session:
        voucher = Voucher(**values)
        session.add(voucher)
    return voucher


async def _apply(
    client: GraphQLClient, cart_id: str, code: str, token: str | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await client.execute(APPLY, {"cart": cart_id, "code": code}, token=token)
    ).ok()["cartVoucherApply"]
    return payload


def _refusal(payload: dict[str, Any]) -> tuple[str, str, str]:
    assert payload["cart"] is None
    [error] = payload["errors"]
    return error["field"], error["code"], error["message"]


async def _applied_rows(resources: Resources) -> int:
    async with resources.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(CartVoucher)) or 0)


# --------------------------------------------------------------------------- applying


async def test_a_code_applies_in_any_case_shows_on_the_cart_and_comes_off(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    variant = await _variant(resources)
    cart_id = await _cart(carts_client, [(variant, 2)])
    await _voucher(resources, "SPRING10", name="Spring sale")
    await _voucher(resources, "EXTRA5", value=500)

    first = await _apply(carts_client, cart_id, " spring10 ")
    second = await _apply(carts_client, cart_id, "Extra5")
    read = await carts_client.execute(
        f"query($id: ID!) {{ cart(id: $id) {{ {CART} }} }}", {"id": cart_id}
    )
    removed = (await carts_client.execute(REMOVE, {"cart": cart_id, "code": "spring10"})).ok()[
        "cartVoucherRemove"
    ]
    not_applied = (await carts_client.execute(REMOVE, {"cart": cart_id, "code": "spring10"})).ok()[
        "cartVoucherRemove"
    ]

    assert first["errors"] == []
    assert second["errors"] == []
    assert read.ok()["cart"]["vouchers"] == [
        {"code": "SPRING10", "name": "Spring sale"},
        {"code": "EXTRA5", "name": "Extra5 offer"},
    ]
    assert removed["cart"]["vouchers"] == [{"code": "EXTRA5", "name": "Extra5 offer"}]
    assert _refusal(not_applied) == (
        "code",
        "VOUCHER_NOT_APPLIED",
        "The voucher 'spring10' is not applied to this cart.",
    )


async def test_every_refusal_names_its_cause_and_the_voucher_and_writes_nothing(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    now = datetime.now(UTC)
    variant = await _variant(resources, price=1500, categories=[BOOKS])
    cart_id = await _cart(carts_client, [(variant, 2)])  # 3000 USD of goods
    await _voucher(resources, "ENDED", ended_at=now - timedelta(minutes=1))
    await _voucher(resources, "PAST", ends_at=now - timedelta(days=1))
    await _voucher(resources, "LATER", starts_at=now + timedelta(days=1))
    await _voucher(resources, "GONE", usage_limit=3, uses_held=3)
    await _voucher(resources, "BIGSPEND", min_subtotal=5000, currency="USD")
    await _voucher(resources, "OTHERPRODUCT", scope="PRODUCTS", product_ids=[uuid.uuid4()])
    await _voucher(resources, "OTHERSELLER", scope="SELLER", seller_id=OTHER_SELLER)
    await _voucher(resources, "EUROS", kind="FIXED", value=500, currency="EUR")
    await _voucher(resources, "ONCE", per_customer_limit=1)
    await _voucher(resources, "BOOKS", scope="CATEGORIES", category_ids=[BOOKS])
    await _voucher(resources, "ALONE", combinable=False)

    refusals = {code: _refusal(await _apply(carts_client, cart_id, code)) for code in [
        "nope", "ENDED", "PAST", "LATER", "GONE", "BIGSPEND", "OTHERPRODUCT", "OTHERSELLER",
        "EUROS", "ONCE",
    ]}  # fmt: skip
    books = await _apply(carts_client, cart_id, "books")
    again = _refusal(await _apply(carts_client, cart_id, "BOOKS"))
    alone = _refusal(await _apply(carts_client, cart_id, "ALONE"))

    assert {code: refusal[1] for code, refusal in refusals.items()} == {
        "nope": "VOUCHER_UNKNOWN",
        "ENDED": "VOUCHER_EXPIRED",
        "PAST": "VOUCHER_EXPIRED",
        "LATER": "VOUCHER_NOT_YET_VALID",
        "GONE": "VOUCHER_USED_UP",
        "BIGSPEND": "VOUCHER_MINIMUM_NOT_MET",
        "OTHERPRODUCT": "VOUCHER_NO_ELIGIBLE_LINE",
        "OTHERSELLER": "VOUCHER_NO_ELIGIBLE_LINE",
        "EUROS": "VOUCHER_CURRENCY_MISMATCH",
        "ONCE": "VOUCHER_SIGN_IN_REQUIRED",
    }
    assert all(field == "code" for field, _, _ in refusals.values())
    assert all(code in message for code, (_, _, message) in refusals.items() if code != "nope")
    assert refusals["nope"][2] == "No voucher has the code 'nope'."
    assert refusals["BIGSPEND"][2] == (
        "The voucher BIGSPEND needs eligible goods of at least 5000 USD (minor units); this "
        "cart has 3000."
    )
    assert refusals["EUROS"][2] == "The voucher EUROS is in EUR; this cart is in USD."
    assert books["errors"] == []
    assert again[1] == "VOUCHER_ALREADY_APPLIED"
    assert alone[1:] == (
        "VOUCHER_NOT_COMBINABLE",
        "The voucher ALONE cannot be combined with BOOKS (it combines with no other voucher).",
    )
    assert await _applied_rows(resources) == 1


async def test_a_non_combinable_voucher_skips_promoted_lines(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    promoted = await _variant(resources, price=1500, list_price=2000, promotion="Summer")
    cart_id = await _cart(carts_client, [(promoted, 1)])
    await _voucher(resources, "ALONE", combinable=False)
    await _voucher(resources, "WITH", combinable=True)

    alone = _refusal(await _apply(carts_client, cart_id, "ALONE"))
    with_promotions = await _apply(carts_client, cart_id, "WITH")

    assert alone[1:] == (
        "VOUCHER_NO_ELIGIBLE_LINE",
        "The voucher ALONE applies to none of this cart's lines (it does not apply to lines "
        "on promotion).",
    )
    assert with_promotions["errors"] == []


async def test_a_per_customer_limit_counts_the_customers_uses_not_given_back(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    variant = await _variant(resources)
    cart_id = await _cart(carts_client, [(variant, 1)], customer.token)
    voucher = await _voucher(resources, "ONCE", per_customer_limit=1, uses_held=1)
    earlier_order = uuid.uuid4()
    async with transaction(resources.session_factory) as session:
        session.add(
            VoucherRedemption(
                voucher_id=voucher.id,
                checkout_id=uuid.uuid4(),
                order_id=earlier_order,
                customer_id=customer.id,
                status=RedemptionStatus.COMMITTED.value,
            )
        )

    used = _refusal(await _apply(carts_client, cart_id, "once", customer.token))
    async with transaction(resources.session_factory) as session:
        await vouchers.settle(session, earlier_order, "CANCELLED")
    given_back = await _apply(carts_client, cart_id, "once", customer.token)

    assert used == (
        "code",
        "VOUCHER_ALREADY_USED",
        "The voucher ONCE can be used once per customer, and you have.",
    )
    assert given_back["errors"] == []


async def test_another_customers_cart_answers_as_an_unknown_one(
    carts_client: GraphQLClient, resources: Resources, customer: Customer, other_customer: Customer
) -> None:
    variant = await _variant(resources)
    cart_id = await _cart(carts_client, [(variant, 1)], customer.token)
    await _voucher(resources, "TEN")

    foreign = _refusal(await _apply(carts_client, cart_id, "TEN", other_customer.token))

    assert foreign[:2] == ("cartId", "NOT_FOUND")
    assert await _applied_rows(resources) == 0


# --------------------------------------------------------------------------- managing


def _input(code: str, **fields: Any) -> dict[str, Any]:
    return {"code": code, "name": "Offer", "kind": "PERCENTAGE", "value": 1500, **fields}


async def test_staff_create_platform_vouchers_and_a_seller_only_their_own(
    carts_client: GraphQLClient, resources: Resources, customer: Customer
) -> None:
    staff = token_for(resources, uuid.uuid4(), Role.STAFF)
    seller = token_for(resources, uuid.uuid4(), Role.SELLER, shop=SELLER)

    platform = await carts_client.execute(
        CREATE, {"input": _input("welcome", scope="ORDER", currency="usd")}, token=staff
    )
    own = await carts_client.execute(
        CREATE, {"input": _input("MYSHOP", scope="SELLER")}, token=seller
    )
    for_another = await carts_client.execute(
        CREATE,
        {"input": _input("THEIRS", scope="SELLER", sellerId=str(OTHER_SELLER))},
        token=seller,
    )
    whole_order = await carts_client.execute(
        CREATE, {"input": _input("EVERYTHING", scope="ORDER")}, token=seller
    )
    as_customer = await carts_client.execute(
        CREATE, {"input": _input("MINE", scope="ORDER")}, token=customer.token
    )
    taken = await carts_client.execute(
        CREATE, {"input": _input("Welcome", scope="ORDER")}, token=staff
    )
    invalid = await carts_client.execute(
        CREATE,
        {"input": _input("x", kind="FIXED", value=0, scope="PRODUCTS", name=" ")},
        token=staff,
    )

    created = platform.ok()["voucherCreate"]["voucher"]
    assert (created["code"], created["sellerId"], created["currency"]) == ("WELCOME", None, "USD")
    assert own.ok()["voucherCreate"]["voucher"]["sellerId"] == str(SELLER)
    assert for_another.error_codes == ["FORBIDDEN"]
    assert [(e["field"], e["code"]) for e in whole_order.ok()["voucherCreate"]["errors"]] == [
        ("scope", "INVALID")
    ]
    assert as_customer.error_codes == ["FORBIDDEN"]
    assert _refusal_of(taken, "voucherCreate") == [
        ("code", "VOUCHER_CODE_TAKEN", "The code WELCOME is taken.")
    ]
    assert [(e["field"], e["code"]) for e in invalid.ok()["voucherCreate"]["errors"]] == [
        ("code", "INVALID"),
        ("name", "REQUIRED"),
        ("value", "INVALID"),
        ("currency", "REQUIRED"),
        ("productIds", "REQUIRED"),
    ]
    async with resources.session_factory() as session:
        codes = sorted((await session.scalars(select(Voucher.code))).all())
    assert codes == ["MYSHOP", "WELCOME"]


def _refusal_of(response: Any, field: str) -> list[tuple[str, str, str]]:
    payload = response.ok()[field]
    assert payload["voucher"] is None
    return [(e["field"], e["code"], e["message"]) for e in payload["errors"]]


async def test_sellers_list_update_and_end_their_own_staff_every_one(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    staff = token_for(resources, uuid.uuid4(), Role.STAFF)
    seller = token_for(resources, uuid.uuid4(), Role.SELLER, shop=SELLER)
    other = token_for(resources, uuid.uuid4(), Role.SELLER, shop=OTHER_SELLER)
    mine = await _voucher(resources, "MINE", scope="SELLER", seller_id=SELLER, uses_held=2)
    await _voucher(resources, "THEIRS", scope="SELLER", seller_id=OTHER_SELLER)
    await _voucher(resources, "PLATFORM")
    variant = await _variant(resources)
    cart_id = await _cart(carts_client, [(variant, 1)])

    seller_list = (await carts_client.execute(LIST, token=seller)).ok()["vouchers"]
    staff_list = (await carts_client.execute(LIST, token=staff)).ok()["vouchers"]
    by_other = await carts_client.execute(
        UPDATE, {"id": str(mine.id), "input": {"value": 2000}}, token=other
    )
    below_held = await carts_client.execute(
        UPDATE, {"id": str(mine.id), "input": {"usageLimit": 1}}, token=seller
    )
    updated = await carts_client.execute(
        UPDATE,
        {"id": str(mine.id), "input": {"value": 2000, "usageLimit": 10, "name": "Mine"}},
        token=seller,
    )
    ended = await carts_client.execute(END, {"id": str(mine.id)}, token=seller)
    after_end = await carts_client.execute(
        UPDATE, {"id": str(mine.id), "input": {"value": 100}}, token=staff
    )
    refused = _refusal(await _apply(carts_client, cart_id, "MINE"))

    assert seller_list == {"totalCount": 1, "nodes": [{"code": "MINE", "sellerId": str(SELLER)}]}
    assert staff_list["totalCount"] == 3
    assert [node["code"] for node in staff_list["nodes"]] == ["PLATFORM", "THEIRS", "MINE"]
    assert _refusal_of(by_other, "voucherUpdate") == [("id", "NOT_FOUND", "No such voucher.")]
    assert _refusal_of(below_held, "voucherUpdate") == [
        ("usageLimit", "INVALID", "A usage limit is at least 2 (2 uses are held already).")
    ]
    voucher = updated.ok()["voucherUpdate"]["voucher"]
    assert (voucher["value"], voucher["usageLimit"], voucher["name"]) == (2000, 10, "Mine")
    assert (voucher["sellerId"], voucher["scope"]) == (str(SELLER), "SELLER")
    assert ended.ok()["voucherEnd"]["voucher"]["endedAt"] is not None
    assert [e["code"] for e in after_end.ok()["voucherUpdate"]["errors"]] == ["VOUCHER_EXPIRED"]
    assert refused[1:] == ("VOUCHER_EXPIRED", "The voucher MINE has ended.")


# --------------------------------------------------------------------------- ledger


def _item(*, price: int = 1500, quantity: int = 2, seller: uuid.UUID = SELLER) -> CartItem:
    return CartItem(
        variant_id=uuid.uuid4(),
        product_id=PRODUCT,
        seller_id=seller,
        category_ids=frozenset(),
        quantity=quantity,
        list_unit_price=price,
        unit_price=price,
        promotion_name=None,
    )


async def _checkout_with(
    resources: Resources, codes: Sequence[str], customer_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID]:
    """A customer's cart holding `codes`, and a checkout of it: (cart id, order id)."""
    order_id = uuid.uuid4()
    async with transaction(resources.session_factory) as session:
        # A customer has one open cart: these stand for carts checked out one by one.
        cart = Cart(customer_id=customer_id, currency="USD", status="CHECKED_OUT")
        session.add(cart)
        await session.flush()
        for position, code in enumerate(codes, start=1):
            voucher = await session.scalar(select(Voucher).where(Voucher.code == code))
            assert voucher is not None
            session.add(CartVoucher(cart_id=cart.id, voucher_id=voucher.id, position=position))
        session.add(
            Checkout(
                cart_id=cart.id,
                customer_id=customer_id,
                idempotency_key=str(order_id),
                order_id=order_id,
            )
        )
    return cart.id, order_id


async def _reserve(
    resources: Resources,
    cart_id: uuid.UUID,
    order_id: uuid.UUID,
    customer_id: uuid.UUID,
    items: Sequence[CartItem] = (),
) -> list[str]:
    async with transaction(resources.session_factory) as session:
        terms = await vouchers.reserve(
            session,
            cart_id=cart_id,
            customer_id=customer_id,
            checkout_id=uuid.uuid4(),
            order_id=order_id,
            items=list(items) or [_item()],
            now=datetime.now(UTC),
            currency="USD",
        )
    return [term.code for term in terms]


async def _state(resources: Resources) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Each voucher's uses held, and every redemption as (code, status)."""
    async with resources.session_factory() as session:
        held = {v.code: v.uses_held for v in (await session.scalars(select(Voucher))).all()}
        rows = await session.execute(
            select(Voucher.code, VoucherRedemption.status)
            .join(Voucher, Voucher.id == VoucherRedemption.voucher_id)
            .order_by(VoucherRedemption.created_at, Voucher.code)
        )
    return held, [(code, status) for code, status in rows]


async def _deliver(resources: Resources, order_id: uuid.UUID, status: str, sequence: int) -> None:
    """Hand an OrderStatusChanged to the carts consumer as the relay would."""
    consumer = Consumer(
        resources, EVENT_TABLES, group="carts", subscriptions=subscriptions(resources)
    )
    await consumer.ensure_groups()
    payload = {"order_id": str(order_id), "status": status, "sequence": sequence}
    await resources.redis.xadd(
        stream_key(resources.settings, "OrderStatusChanged"),
        {
            "id": str(uuid.uuid4()),
            "name": "OrderStatusChanged",
            "version": "1",
            "producer": "orders",
            "occurred_at": datetime.now(UTC).isoformat(),
            "payload": json.dumps(payload),
        },
    )
    assert await consumer.consume_once() == 1


async def test_reserve_holds_uses_in_order_and_settling_commits_or_gives_them_back(
    resources: Resources,
) -> None:
    customer_id = uuid.uuid4()
    await _voucher(resources, "ZETA", usage_limit=10)
    await _voucher(resources, "ALPHA")
    paid_cart, paid_order = await _checkout_with(resources, ["ZETA", "ALPHA"], customer_id)
    cancelled_cart, cancelled_order = await _checkout_with(resources, ["ZETA"], customer_id)

    assert await _reserve(resources, paid_cart, paid_order, customer_id) == ["ZETA", "ALPHA"]
    assert await _reserve(resources, cancelled_cart, cancelled_order, customer_id) == ["ZETA"]
    reserved = await _state(resources)
    await _deliver(resources, paid_order, "AWAITING_PAYMENT", 2)
    await _deliver(resources, paid_order, "PAID", 3)
    await _deliver(resources, cancelled_order, "CANCELLED", 2)
    await _deliver(resources, cancelled_order, "PAID", 1)  # stale: never un-releases
    settled = await _state(resources)
    async with transaction(resources.session_factory) as session:
        await vouchers.settle(session, cancelled_order, "CANCELLED")  # replayed
        await vouchers.settle(session, paid_order, "PAID")  # replayed
    replayed = await _state(resources)
    await _deliver(resources, paid_order, "CANCELLED", 4)  # cancelled after payment
    refunded = await _state(resources)

    assert reserved == (
        {"ZETA": 2, "ALPHA": 1},
        [("ALPHA", "RESERVED"), ("ZETA", "RESERVED"), ("ZETA", "RESERVED")],
    )
    assert settled == (
        {"ZETA": 1, "ALPHA": 1},
        [("ALPHA", "COMMITTED"), ("ZETA", "COMMITTED"), ("ZETA", "RELEASED")],
    )
    assert replayed == settled
    assert refunded == (
        {"ZETA": 0, "ALPHA": 0},
        [("ALPHA", "RELEASED"), ("ZETA", "RELEASED"), ("ZETA", "RELEASED")],
    )


async def test_reserve_refuses_naming_the_voucher_and_leaves_nothing(
    resources: Resources,
) -> None:
    customer_id = uuid.uuid4()
    await _voucher(resources, "AAA", usage_limit=5)
    await _voucher(resources, "MIN", min_subtotal=5000, currency="USD")
    await _voucher(resources, "ONCE", per_customer_limit=1)
    minimum_cart, minimum_order = await _checkout_with(resources, ["AAA", "MIN"], customer_id)
    first_cart, first_order = await _checkout_with(resources, ["AAA", "ONCE"], customer_id)
    second_cart, second_order = await _checkout_with(resources, ["AAA", "ONCE"], customer_id)

    with pytest.raises(InputErrors) as minimum:
        await _reserve(resources, minimum_cart, minimum_order, customer_id)
    after_minimum = await _state(resources)
    await _reserve(resources, first_cart, first_order, customer_id)
    with pytest.raises(InputErrors) as once:
        await _reserve(resources, second_cart, second_order, customer_id)

    [minimum_error] = minimum.value.errors
    assert (minimum_error.field, minimum_error.code) == (
        "cartId",
        CartErrorCode.VOUCHER_MINIMUM_NOT_MET,
    )
    assert "MIN" in minimum_error.message
    assert after_minimum == ({"AAA": 0, "MIN": 0, "ONCE": 0}, [])
    [once_error] = once.value.errors
    assert (once_error.field, once_error.code, once_error.message) == (
        "cartId",
        CartErrorCode.VOUCHER_ALREADY_USED,
        "The voucher ONCE can be used once per customer, and you have.",
    )
    # AAA's use, held before ONCE refused, went with the rollback.
    assert (await _state(resources))[0] == {"AAA": 1, "MIN": 0, "ONCE": 1}


async def test_terms_for_cart_lists_the_applied_vouchers_and_their_standing(
    resources: Resources,
) -> None:
    customer_id = uuid.uuid4()
    await _voucher(resources, "LATER", starts_at=datetime.now(UTC) + timedelta(days=1))
    await _voucher(
        resources, "FLAT", kind="FIXED", value=700, currency="USD", scope="SELLER", seller_id=SELLER
    )
    cart_id, _ = await _checkout_with(resources, ["FLAT", "LATER"], customer_id)

    async with resources.session_factory() as session:
        applied = await vouchers.terms_for_cart(session, cart_id, now=datetime.now(UTC))

    assert [(a.terms.code, a.terms.value, a.terms.seller_id, a.currency) for a in applied] == [
        ("FLAT", 700, SELLER, "USD"),
        ("LATER", 1000, None, None),
    ]
    assert [a.valid for a in applied] == [True, False]
    assert applied[1].refusal is not None
    assert applied[1].refusal.code is CartErrorCode.VOUCHER_NOT_YET_VALID


# --------------------------------------------------------------------------- offers


async def test_offers_keep_the_product_details_and_lines_become_items(
    resources: Resources,
) -> None:
    known, loaded, unknown = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = datetime.now(UTC)
    async with transaction(resources.session_factory) as session:
        await offers.record_price(
            session,
            events.VariantPriceChanged(
                known, 1200, "USD", at, PRODUCT, SELLER, 1500, "Spring", [BOOKS]
            ),
        )
        await offers.record_loaded(
            session,
            events.VariantOffersLoaded(
                [events.LoadedOffer(loaded, 900, "USD", 5, PRODUCT, OTHER_SELLER, None, None, [])],
                at,
            ),
        )
    lines = [
        CartLine(cart_id=uuid.uuid4(), variant_id=known, quantity=2),
        CartLine(cart_id=uuid.uuid4(), variant_id=loaded, quantity=1),
    ]

    promoted = items_of(lines, await _offers(resources))
    async with transaction(resources.session_factory) as session:
        # An older producer's news: the promotion is over; product and seller stay known.
        await offers.record_price(
            session, events.VariantPriceChanged(known, 1500, "USD", at + timedelta(seconds=1))
        )
    after = await _offers(resources)
    with pytest.raises(UnpricedLines) as unpriced:
        items_of([*lines, CartLine(variant_id=unknown, quantity=1)], after)

    assert promoted == [
        CartItem(known, PRODUCT, SELLER, frozenset({BOOKS}), 2, 1500, 1200, "Spring"),
        CartItem(loaded, PRODUCT, OTHER_SELLER, frozenset(), 1, 900, 900, None),
    ]
    assert items_of(lines[:1], after) == [
        CartItem(known, PRODUCT, SELLER, frozenset(), 2, 1500, 1500, None)
    ]
    assert unpriced.value.variant_ids == [unknown]


async def _offers(resources: Resources) -> dict[uuid.UUID, VariantOffer]:
    async with resources.session_factory() as session:
        rows = (await session.scalars(select(VariantOffer))).all()
    return {row.variant_id: row for row in rows}


@pytest.mark.parametrize("count", [2, 5])
async def test_carts_vouchers_cost_one_statement_whatever_the_number_of_carts(
    carts_client: GraphQLClient, resources: Resources, sql_counter: SqlCounter, count: int
) -> None:
    staff = token_for(resources, uuid.uuid4(), Role.STAFF)
    variant = await _variant(resources)
    await _voucher(resources, "FIRST")
    await _voucher(resources, "SECOND")
    customers = [Customer(resources) for _ in range(count)]
    for shopper in customers:
        cart_id = await _cart(carts_client, [(variant, 1)], shopper.token)
        for code in ("second", "first"):
            assert (await _apply(carts_client, cart_id, code, shopper.token))["errors"] == []

    sql_counter.reset()
    response = await carts_client.execute(
        "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on User { cart { vouchers { code } } } } }",
        {"r": [{"__typename": "User", "id": str(shopper.id)} for shopper in customers]},
        token=staff,
    )

    assert (
        response.ok()["_entities"]
        == [{"cart": {"vouchers": [{"code": "SECOND"}, {"code": "FIRST"}]}}] * count
    )
    # The open carts, then every cart's codes: one statement each.
    assert sql_counter.count == 2, sql_counter.statements
