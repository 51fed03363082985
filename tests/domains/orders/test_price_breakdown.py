"""The price breakdown an order keeps, against real Postgres: CheckoutRequested's quote is
stored as checked out and shown through the orders subgraph to the minor unit; a quote
that does not add up fails the order PRICING_INVALID; a checkout without one is priced by
the flat fallback; fulfilment ships a seller's parcel with its method; and an order list
costs the same SQL whatever its page size.

Events are fed as the consumer gets them: encoded as the producer writes them, decoded by
the orders domain's reader, and handed to its subscription's handler.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from sqlalchemy import select

from domains.kit.db import transaction
from domains.kit.events import Event
from domains.kit.resources import Resources
from domains.orders import consumers, events
from domains.orders.models import EVENT_TABLES, Order
from domains.orders.service import orders
from tests.domains.orders.live_helpers import Person, customer, pay, seller
from tests.support.event_delivery import deliver as deliver_event
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter
from tests.support.subgraphs import subgraph_client

ORDER = """
query Order($id: ID!) {
  order(id: $id) {
    status failureReason currency
    subtotal discount shipping tax taxIncluded total
    discounts { kind name code amount }
    parcels {
      seller { id } methodName price tax estimate { minDays maxDays }
      lines { sku } shippedAt trackingNumber
    }
    lines { sku listUnitPrice unitPrice quantity discount shipping tax total }
  }
}
"""

SELLER_ORDERS = """
query SellerOrders($first: Int!) {
  sellerOrders(first: $first) { nodes {
    total discounts { name amount }
    lines { sku total }
    parcels { methodName price estimate { minDays } lines { sku } }
  } }
}
"""

ADDRESS = events.ShippingAddress(
    "Ada", "Lovelace", "", "Torstraße 1", "", "Berlin", "10119", "DE", "", ""
)
LAMP, SHADE, BOOK = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
EXPRESS, STANDARD = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
async def orders_client(resources: Resources) -> AsyncIterator[GraphQLClient]:
    async with subgraph_client("orders", resources) as client:
        yield client


def german_quote(lamps_seller: uuid.UUID, books_seller: uuid.UUID) -> events.CheckoutPricing:
    """Two sellers, Berlin, prices including VAT (19 %, books 7 %, shipping 19 %).

    Lamps seller: 2 lamps listed 5000, on the platform's "Summer sale" (20 %) at 4000, and
    a shade at 1500. Books seller: a book at 2500. Voucher SPRING, 1000 off the order.
    1. Promotion: lamp (5000 - 4000) x 2 = 2000.
    2. SPRING 1000 over what is left, 8000 / 1500 / 2500 of 12000: 666.67 / 125 / 208.33;
       floors 666 + 125 + 208 = 999, the last unit to the largest remainder (lamp): 667.
       Line discounts: lamp 2667, shade 125, book 208 (3000 = 2000 + 1000).
    3. Shipping: the lamps go Express at 990 over 7333 / 1375 of 8708: 833.67 / 156.33;
       floors 833 + 156 = 989, the unit to the lamp: 834 / 156. The book goes Standard at
       490 (free only from 5000; its parcel is 2292).
    4. Tax extracted, round_half_up(a x r / (10000 + r)):
       lamp 7333 @1900 = 1170.82 -> 1171, its shipping 834 -> 133.16 -> 133: 1304;
       shade 1375 -> 219.54 -> 220, shipping 156 -> 24.91 -> 25: 245;
       book 2292 @700 = 149.94 -> 150, shipping 490 @1900 = 78.24 -> 78: 228.
       Tax 1777; the parcels' shipping tax 133 + 25 = 158 and 78.
    5. Line totals (tax inside): lamp 10000 - 2667 + 834 = 8167; shade 1500 - 125 + 156 =
       1531; book 2500 - 208 + 490 = 2782. Total 14000 - 3000 + 1480 = 12480.
    """
    return events.CheckoutPricing(
        currency="EUR",
        tax_included=True,
        subtotal=14000,
        discount=3000,
        shipping=1480,
        tax=1777,
        total=12480,
        discounts=[
            events.AppliedDiscount("PROMOTION", "Summer sale", None, 2000),
            events.AppliedDiscount("VOUCHER", "Spring welcome", "SPRING", 1000),
        ],
        parcels=[
            events.PricedParcel(lamps_seller, EXPRESS, "Express", 990, 158, 1, 2),
            events.PricedParcel(books_seller, STANDARD, "Standard", 490, 78, 3, 5),
        ],
        lines=[
            events.PricedLine(LAMP, lamps_seller, 5000, 4000, 2, 2667, 834, 1304, 8167),
            events.PricedLine(SHADE, lamps_seller, 1500, 1500, 1, 125, 156, 245, 1531),
            events.PricedLine(BOOK, books_seller, 2500, 2500, 1, 208, 490, 228, 2782),
        ],
        voucher_codes=["SPRING"],
    )


def shop_of(who: Person) -> uuid.UUID:
    assert who.shop is not None
    return who.shop


async def deliver(resources: Resources, event: Event) -> None:
    """`event` as the orders consumer gets it."""
    await deliver_event(resources, consumers.subscriptions(resources), event)


async def check_out(
    resources: Resources,
    buyer: Person,
    quantities: dict[uuid.UUID, int],
    pricing: events.CheckoutPricing | None,
) -> uuid.UUID:
    order_id = uuid.uuid4()
    unit_prices = {} if pricing is None else {line.variant_id: line for line in pricing.lines}
    await deliver(
        resources,
        events.CheckoutRequested(
            checkout_id=uuid.uuid4(),
            order_id=order_id,
            customer_id=buyer.user_id,
            idempotency_key=uuid.uuid4().hex,
            lines=[
                events.CheckoutLine(
                    variant,
                    quantity,
                    None if pricing is None else unit_prices[variant].unit_price,
                    None if pricing is None else pricing.currency,
                )
                for variant, quantity in quantities.items()
            ],
            shipping_address=ADDRESS,
            pricing=pricing,
        ),
    )
    return order_id


async def reserve(
    resources: Resources,
    order_id: uuid.UUID,
    lines: Sequence[tuple[uuid.UUID, uuid.UUID, str, int, int, int]],
) -> None:
    """StockReserved for (variant, seller, sku, list price, unit price, quantity) lines."""
    await deliver(
        resources,
        events.StockReserved(
            order_id=order_id,
            lines=[
                events.ReservedLine(
                    variant_id=variant,
                    product_id=uuid.uuid4(),
                    seller_id=shop,
                    product_name=sku.title(),
                    sku=sku,
                    unit_price=unit_price,
                    currency="EUR",
                    quantity=quantity,
                    list_unit_price=list_price,
                    promotion_name="Summer sale" if list_price != unit_price else None,
                )
                for variant, shop, sku, list_price, unit_price, quantity in lines
            ],
        ),
    )


def german_reservation(
    lamps: uuid.UUID, books: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID, str, int, int, int]]:
    return [
        (LAMP, lamps, "LAMP", 5000, 4000, 2),
        (SHADE, lamps, "SHADE", 1500, 1500, 1),
        (BOOK, books, "BOOK", 2500, 2500, 1),
    ]


async def outbox(resources: Resources, name: str) -> list[dict[str, Any]]:
    table = EVENT_TABLES.outbox
    async with resources.session_factory() as session:
        rows = await session.execute(
            select(table.c.payload).where(table.c.name == name).order_by(table.c.position)
        )
        return [row.payload for row in rows]


async def order_as(client: GraphQLClient, who: Person, order_id: uuid.UUID) -> dict[str, Any]:
    response = await client.execute(ORDER, {"id": str(order_id)}, token=who.token)
    order: dict[str, Any] = response.ok()["order"]
    return order


async def test_an_order_keeps_and_shows_the_quote_it_was_checked_out_at(
    resources: Resources, orders_client: GraphQLClient
) -> None:
    buyer, lamps, books = customer(resources), seller(resources), seller(resources)
    lamps_shop, books_shop = shop_of(lamps), shop_of(books)
    quote = german_quote(lamps_shop, books_shop)
    order_id = await check_out(resources, buyer, {LAMP: 2, SHADE: 1, BOOK: 1}, quote)

    pending = await order_as(orders_client, buyer, order_id)
    assert (pending["status"], pending["total"], pending["taxIncluded"]) == ("PENDING", 12480, True)

    await reserve(resources, order_id, german_reservation(lamps_shop, books_shop))
    order = await order_as(orders_client, buyer, order_id)

    assert {key: order[key] for key in ("status", "failureReason", "currency")} == {
        "status": "AWAITING_PAYMENT",
        "failureReason": None,
        "currency": "EUR",
    }
    assert [order[key] for key in ("subtotal", "discount", "shipping", "tax", "total")] == [
        14000,
        3000,
        1480,
        1777,
        12480,
    ]
    assert order["taxIncluded"] is True
    assert order["discounts"] == [
        {"kind": "PROMOTION", "name": "Summer sale", "code": None, "amount": 2000},
        {"kind": "VOUCHER", "name": "Spring welcome", "code": "SPRING", "amount": 1000},
    ]
    assert order["lines"] == [
        {
            "sku": "LAMP",
            "listUnitPrice": 5000,
            "unitPrice": 4000,
            "quantity": 2,
            "discount": 2667,
            "shipping": 834,
            "tax": 1304,
            "total": 8167,
        },
        {
            "sku": "SHADE",
            "listUnitPrice": 1500,
            "unitPrice": 1500,
            "quantity": 1,
            "discount": 125,
            "shipping": 156,
            "tax": 245,
            "total": 1531,
        },
        {
            "sku": "BOOK",
            "listUnitPrice": 2500,
            "unitPrice": 2500,
            "quantity": 1,
            "discount": 208,
            "shipping": 490,
            "tax": 228,
            "total": 2782,
        },
    ]
    assert order["parcels"] == [
        {
            "seller": {"id": str(lamps_shop)},
            "methodName": "Express",
            "price": 990,
            "tax": 158,
            "estimate": {"minDays": 1, "maxDays": 2},
            "lines": [{"sku": "LAMP"}, {"sku": "SHADE"}],
            "shippedAt": None,
            "trackingNumber": None,
        },
        {
            "seller": {"id": str(books_shop)},
            "methodName": "Standard",
            "price": 490,
            "tax": 78,
            "estimate": {"minDays": 3, "maxDays": 5},
            "lines": [{"sku": "BOOK"}],
            "shippedAt": None,
            "trackingNumber": None,
        },
    ]
    # Refunding every line gives back exactly what is charged.
    assert sum(line["total"] for line in order["lines"]) == order["total"]
    # Payments is asked for the total the quote made.
    awaiting = [
        change
        for change in await outbox(resources, "OrderStatusChanged")
        if change["status"] == "AWAITING_PAYMENT"
    ]
    assert [(change["total"], change["currency"]) for change in awaiting] == [(12480, "EUR")]

    # A seller sees their own lines and parcel, and the order's amounts.
    as_books = await order_as(orders_client, books, order_id)
    assert [line["sku"] for line in as_books["lines"]] == ["BOOK"]
    assert [(p["methodName"], p["lines"]) for p in as_books["parcels"]] == [
        ("Standard", [{"sku": "BOOK"}])
    ]
    assert as_books["total"] == 12480


def _broken(quote: events.CheckoutPricing, case: str) -> events.CheckoutPricing:
    lamp, shade, book = quote.lines
    lamps_parcel, books_parcel = quote.parcels
    if case == "a line's total is one off":
        return dataclasses.replace(
            quote,
            total=quote.total + 1,
            lines=[lamp, shade, dataclasses.replace(book, total=book.total + 1)],
        )
    if case == "the discounts by name do not add up":
        promotion, voucher = quote.discounts
        return dataclasses.replace(
            quote, discounts=[promotion, dataclasses.replace(voucher, amount=999)]
        )
    if case == "shipping shares do not make the parcel":
        return dataclasses.replace(
            quote,
            shipping=quote.shipping + 10,
            parcels=[dataclasses.replace(lamps_parcel, price=1000), books_parcel],
        )
    if case == "tax added although included":
        return dataclasses.replace(quote, total=quote.total + quote.tax)
    if case == "a negative line discount, every sum still right":
        return dataclasses.replace(
            quote,
            lines=[
                dataclasses.replace(lamp, discount=3667, total=7167),
                shade,
                dataclasses.replace(book, discount=-792, total=3782),
            ],
        )
    assert case == "a quantity other than checked out"
    return dataclasses.replace(quote, lines=[dataclasses.replace(lamp, quantity=3), shade, book])


@pytest.mark.parametrize(
    "case",
    [
        "a line's total is one off",
        "the discounts by name do not add up",
        "shipping shares do not make the parcel",
        "tax added although included",
        "a negative line discount, every sum still right",
        "a quantity other than checked out",
    ],
)
async def test_a_breakdown_that_does_not_add_up_fails_the_order(
    resources: Resources, orders_client: GraphQLClient, case: str
) -> None:
    buyer, lamps, books = customer(resources), seller(resources), seller(resources)
    lamps_shop, books_shop = shop_of(lamps), shop_of(books)
    quote = _broken(german_quote(lamps_shop, books_shop), case)
    order_id = await check_out(resources, buyer, {LAMP: 2, SHADE: 1, BOOK: 1}, quote)

    order = await order_as(orders_client, buyer, order_id)

    assert (order["status"], order["failureReason"]) == ("FAILED", "PRICING_INVALID")
    # Nothing of the bad quote is kept, and what products reserves from the checkout
    # request goes back.
    assert (order["total"], order["discounts"], order["parcels"]) == (0, [], [])
    assert [line["total"] for line in order["lines"]] == [None, None, None]
    failed = await outbox(resources, "OrderFailed")
    assert [(e["order_id"], e["reason"]) for e in failed] == [(str(order_id), "PRICING_INVALID")]
    statuses = [change["status"] for change in await outbox(resources, "OrderStatusChanged")]
    assert statuses == ["PENDING", "FAILED"]


async def test_a_reservation_at_another_price_than_the_quote_fails_price_changed(
    resources: Resources, orders_client: GraphQLClient
) -> None:
    buyer, lamps, books = customer(resources), seller(resources), seller(resources)
    lamps_shop, books_shop = shop_of(lamps), shop_of(books)
    order_id = await check_out(
        resources, buyer, {LAMP: 2, SHADE: 1, BOOK: 1}, german_quote(lamps_shop, books_shop)
    )
    # The promotion ended before the reservation: the lamp is reserved at its list price.
    reservation = german_reservation(lamps_shop, books_shop)
    reservation[0] = (LAMP, lamps_shop, "LAMP", 5000, 5000, 2)
    await reserve(resources, order_id, reservation)

    order = await order_as(orders_client, buyer, order_id)
    assert (order["status"], order["failureReason"]) == ("FAILED", "PRICE_CHANGED")
    assert [event["reason"] for event in await outbox(resources, "OrderFailed")] == [
        "PRICE_CHANGED"
    ]


async def test_a_reservation_from_other_sellers_than_the_parcels_fails_pricing_invalid(
    resources: Resources, orders_client: GraphQLClient
) -> None:
    buyer, lamps, books = customer(resources), seller(resources), seller(resources)
    lamps_shop, books_shop = shop_of(lamps), shop_of(books)
    order_id = await check_out(
        resources, buyer, {LAMP: 2, SHADE: 1, BOOK: 1}, german_quote(lamps_shop, books_shop)
    )
    # Products says the lamps seller ships the book too: the quote's parcels do not fit.
    await reserve(resources, order_id, german_reservation(lamps_shop, lamps_shop))

    order = await order_as(orders_client, buyer, order_id)
    assert (order["status"], order["failureReason"]) == ("FAILED", "PRICING_INVALID")
    # The stock held for it goes back.
    assert [event["reason"] for event in await outbox(resources, "OrderFailed")] == [
        "PRICING_INVALID"
    ]


async def test_a_checkout_without_a_breakdown_is_priced_by_the_flat_fallback(
    resources: Resources, orders_client: GraphQLClient
) -> None:
    buyer, first, second = customer(resources), seller(resources), seller(resources)
    first_shop, second_shop = shop_of(first), shop_of(second)
    mug, plate, bowl = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    order_id = await check_out(resources, buyer, {mug: 1, plate: 1, bowl: 3}, None)
    await reserve(
        resources,
        order_id,
        [
            (mug, first_shop, "MUG", 1000, 1000, 1),
            (plate, first_shop, "PLATE", 2000, 2000, 1),
            (bowl, second_shop, "BOWL", 700, 700, 3),
        ],
    )

    order = await order_as(orders_client, buyer, order_id)

    # 500 per seller, tax 0: the first seller's 500 over 1000 / 2000 is 166.67 / 333.33,
    # floors 166 + 333 = 499, the unit to the largest remainder (the mug): 167 / 333.
    assert [order[key] for key in ("status", "subtotal", "discount", "shipping", "tax")] == [
        "AWAITING_PAYMENT",
        5100,
        0,
        1000,
        0,
    ]
    assert (order["total"], order["taxIncluded"], order["discounts"]) == (6100, False, [])
    assert [(line["sku"], line["shipping"], line["total"]) for line in order["lines"]] == [
        ("MUG", 167, 1167),
        ("PLATE", 333, 2333),
        ("BOWL", 500, 2600),
    ]
    assert [(p["methodName"], p["price"], p["tax"], p["estimate"]) for p in order["parcels"]] == [
        ("Standard shipping", 500, 0, None),
        ("Standard shipping", 500, 0, None),
    ]


async def test_fulfilling_a_sellers_lines_ships_their_parcel_with_its_method(
    resources: Resources, orders_client: GraphQLClient
) -> None:
    buyer, lamps, books = customer(resources), seller(resources), seller(resources)
    lamps_shop, books_shop = shop_of(lamps), shop_of(books)
    order_id = await check_out(
        resources, buyer, {LAMP: 2, SHADE: 1, BOOK: 1}, german_quote(lamps_shop, books_shop)
    )
    await reserve(resources, order_id, german_reservation(lamps_shop, books_shop))
    await pay(resources, order_id)
    async with resources.session_factory() as session:
        line_ids = {
            line.variant_id: str(line.id) for line in await orders.lines_of(session, [order_id])
        }

    async def fulfil(who: Person, variants: list[uuid.UUID], tracking: str) -> None:
        async with transaction(resources.session_factory) as session:
            await orders.fulfil(
                session, who.viewer, order_id, [line_ids[v] for v in variants], tracking
            )

    await fulfil(lamps, [LAMP], "DHL-1")
    half = await order_as(orders_client, buyer, order_id)
    assert [p["shippedAt"] for p in half["parcels"]] == [None, None]

    await fulfil(lamps, [SHADE], "DHL-2")
    order = await order_as(orders_client, buyer, order_id)
    express, standard = order["parcels"]
    assert (express["methodName"], express["trackingNumber"]) == ("Express", "DHL-2")
    assert express["shippedAt"] is not None
    assert (standard["shippedAt"], standard["trackingNumber"]) == (None, None)
    assert order["status"] == "PAID"

    await fulfil(books, [BOOK], "UPS-9")
    shipped = await outbox(resources, "OrderLinesFulfilled")
    assert [(e["tracking_number"], e["shipping_method"]) for e in shipped] == [
        ("DHL-1", "Express"),
        ("DHL-2", "Express"),
        ("UPS-9", "Standard"),
    ]
    final = await order_as(orders_client, buyer, order_id)
    assert final["status"] == "FULFILLED"
    assert [p["trackingNumber"] for p in final["parcels"]] == ["DHL-2", "UPS-9"]


@pytest.mark.parametrize("page", [2, 6])
async def test_a_sellers_order_list_costs_three_statements_whatever_its_size(
    resources: Resources, orders_client: GraphQLClient, sql_counter: SqlCounter, page: int
) -> None:
    lamps, books = seller(resources), seller(resources)
    lamps_shop, books_shop = shop_of(lamps), shop_of(books)
    for _ in range(page):
        order_id = await check_out(
            resources,
            customer(resources),
            {LAMP: 2, SHADE: 1, BOOK: 1},
            german_quote(lamps_shop, books_shop),
        )
        await reserve(resources, order_id, german_reservation(lamps_shop, books_shop))

    sql_counter.reset()
    response = await orders_client.execute(SELLER_ORDERS, {"first": page}, token=lamps.token)
    nodes = response.ok()["sellerOrders"]["nodes"]

    assert len(nodes) == page
    assert nodes[0]["lines"] == [{"sku": "LAMP", "total": 8167}, {"sku": "SHADE", "total": 1531}]
    assert nodes[0]["parcels"] == [
        {
            "methodName": "Express",
            "price": 990,
            "estimate": {"minDays": 1},
            "lines": [{"sku": "LAMP"}, {"sku": "SHADE"}],
        }
    ]
    # The page, its lines, its parcels: one statement each.
    tables = sorted(
        match.group(1)
        for statement in sql_counter.statements
        if (match := re.search(r"FROM (orders\.\w+)", statement))
    )
    assert len(tables) == sql_counter.count, sql_counter.statements
    assert tables == ["orders.order_lines", "orders.order_parcels", "orders.orders"]


async def test_placing_writes_the_lines_parcels_and_first_status_in_one_statement(
    resources: Resources, sql_counter: SqlCounter
) -> None:
    lamps, books = seller(resources), seller(resources)
    sql_counter.reset()

    order_id = await check_out(
        resources,
        customer(resources),
        {LAMP: 2, SHADE: 1, BOOK: 1},
        german_quote(shop_of(lamps), shop_of(books)),
    )

    written = [
        statement
        for statement in sql_counter.statements
        if re.search(
            r"INSERT INTO orders\.(order_lines|order_parcels|order_status_history)", statement
        )
    ]
    assert len(written) == 1, written
    assert all(
        f"INSERT INTO orders.{table}" in written[0]
        for table in ("order_lines", "order_parcels", "order_status_history")
    )
    async with resources.session_factory() as session:
        lines = await orders.lines_of(session, [order_id])
        parcels = await orders.parcels_of(session, [order_id])
        history = await orders.history_of(session, [order_id])
    assert sorted((line.position, line.quantity) for line in lines) == [(0, 2), (1, 1), (2, 1)]
    assert len({line.id for line in lines}) == 3
    assert sorted(parcel.price for parcel in parcels) == sorted(
        parcel.price for parcel in german_quote(shop_of(lamps), shop_of(books)).parcels
    )
    assert [change.status for change in history] == ["PENDING"]


async def test_the_stock_answer_reads_in_one_statement_and_writes_in_one_more(
    resources: Resources, sql_counter: SqlCounter
) -> None:
    lamps, books = seller(resources), seller(resources)
    lamps_shop, books_shop = shop_of(lamps), shop_of(books)
    order_id = await check_out(
        resources,
        customer(resources),
        {LAMP: 2, SHADE: 1, BOOK: 1},
        german_quote(lamps_shop, books_shop),
    )
    sql_counter.reset()

    await reserve(resources, order_id, german_reservation(lamps_shop, books_shop))

    # The order, locked, with its lines and parcels.
    reads = [
        statement
        for statement in sql_counter.statements
        if statement.lstrip().startswith("SELECT")
        and re.search(r"orders\.(orders|order_lines|order_parcels)\b", statement)
    ]
    writes = [
        statement
        for statement in sql_counter.statements
        if re.search(
            r"(UPDATE orders\.(orders|order_lines)|INSERT INTO orders\.order_status_history)",
            statement,
        )
    ]
    assert len(reads) == 1, reads
    tables = ("orders", "order_lines", "order_parcels")
    assert all(f"orders.{table}" in reads[0] for table in tables)
    assert "FOR UPDATE OF" in reads[0]
    assert len(writes) == 1, writes
    async with resources.session_factory() as session:
        order = await session.get(Order, order_id)
        lines = await orders.lines_of(session, [order_id])
        history = await orders.history_of(session, [order_id])
    assert order is not None
    assert (order.status, order.status_sequence, order.currency) == ("AWAITING_PAYMENT", 2, "EUR")
    assert sorted((line.sku, line.seller_id) for line in lines) == sorted(
        [("BOOK", books_shop), ("LAMP", lamps_shop), ("SHADE", lamps_shop)]
    )
    assert all(line.product_name == line.sku.title() for line in lines)
    assert [(change.status, change.note) for change in history] == [
        ("PENDING", ""),
        ("AWAITING_PAYMENT", "stock reserved"),
    ]
