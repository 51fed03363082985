"""Whether the platform's data agrees with itself once its sagas have settled.

`audit(settings)` reads every domain's schema (one database holds them all here, so the
checks can join across schemas; no domain code is involved) and Redis, and returns what
is wrong, one sentence per violation; an empty list is a consistent platform. The fault
tests run it after a server was killed under traffic, and the soak benchmark can run it
after a run (`bench/` already imports from `tests/support`). `settled` polls it until it
comes back clean or a deadline passes, since relays, consumers and the delivery check
finish their work in the background.

What is checked:

- orders: every checkout has its one order (same customer, same idempotency key) and every
  order its checkout; none is still PENDING; the checkout follows the order's status; and,
  given what shoppers were answered, each idempotency key answered one order id, the one
  the database holds for that key;
- stock: each variant's `reserved` is the sum of its RESERVED reservations, those
  reservations belong to orders still PENDING or AWAITING_PAYMENT, an order awaiting
  payment holds each of its lines, a paid one has committed them, and the inventory
  ledger (movements) adds up to what the rows say;
- payments: every order awaiting payment has one opened, none was charged twice, a paid
  order was captured in full, and no payment names a missing order;
- events: no outbox row is left unrelayed, none of an event some domain consumes is left
  undelivered, and no consumer group dead-lettered anything.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from domains.kit.config import Settings
from domains.kit.events.streams import dead_letter_key
from shopgraph.registry import DOMAINS, consumed_events

# (customer id, idempotency key) -> every order id the shoppers were answered for it.
Answered = Mapping[tuple[str, str], Iterable[str]]

LIVE_ORDER = ["PENDING", "AWAITING_PAYMENT"]


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _rows(connection: asyncpg.Connection, query: str, *args: object) -> list[Any]:
    return list(await connection.fetch(query, *args))


async def _orders(connection: asyncpg.Connection) -> list[str]:
    found = [
        f"checkout {row['id']} has no order {row['order_id']}"
        for row in await _rows(
            connection,
            "SELECT c.id, c.order_id FROM carts.checkouts c "
            "LEFT JOIN orders.orders o ON o.id = c.order_id WHERE o.id IS NULL",
        )
    ]
    found += [
        f"order {row['id']} has no checkout"
        for row in await _rows(
            connection,
            "SELECT o.id FROM orders.orders o "
            "LEFT JOIN carts.checkouts c ON c.order_id = o.id WHERE c.id IS NULL",
        )
    ]
    found += [
        f"order {row['id']} belongs to another customer or key than its checkout"
        for row in await _rows(
            connection,
            "SELECT o.id FROM orders.orders o JOIN carts.checkouts c ON c.order_id = o.id "
            "WHERE o.customer_id <> c.customer_id OR o.idempotency_key <> c.idempotency_key",
        )
    ]
    found += [
        f"order {row['id']} is still PENDING"
        for row in await _rows(connection, "SELECT id FROM orders.orders WHERE status = 'PENDING'")
    ]
    found += [
        f"checkout of order {row['id']} says {row['seen']}, the order is {row['status']}"
        for row in await _rows(
            connection,
            "SELECT o.id, o.status, c.status AS seen FROM orders.orders o "
            "JOIN carts.checkouts c ON c.order_id = o.id WHERE o.status <> c.status",
        )
    ]
    return found


async def _answers(connection: asyncpg.Connection, answered: Answered) -> list[str]:
    held = {
        (str(row["customer_id"]), row["idempotency_key"]): str(row["id"])
        for row in await _rows(
            connection, "SELECT id, customer_id, idempotency_key FROM orders.orders"
        )
    }
    found = []
    for (customer, key), order_ids in answered.items():
        distinct = sorted(set(order_ids))
        if len(distinct) > 1:
            found.append(f"key {key!r} of customer {customer} answered orders {distinct}")
        elif distinct and held.get((customer, key)) != distinct[0]:
            found.append(
                f"key {key!r} of customer {customer} answered order {distinct[0]}, "
                f"the database holds {held.get((customer, key))}"
            )
    return found


async def _stock(connection: asyncpg.Connection) -> list[str]:
    found = [
        f"variant {row['variant_id']} has {row['reserved']} reserved, "
        f"its reservations hold {row['held']}"
        for row in await _rows(
            connection,
            "SELECT * FROM (SELECT i.variant_id, i.reserved, "
            "COALESCE(SUM(r.quantity) FILTER (WHERE r.status = 'RESERVED'), 0) AS held "
            "FROM products.inventory i "
            "LEFT JOIN products.stock_reservations r ON r.variant_id = i.variant_id "
            "GROUP BY i.variant_id, i.reserved) AS held WHERE reserved <> held",
        )
    ]
    found += [
        f"{row['quantity']} of variant {row['variant_id']} reserved for order {row['order_id']}, "
        f"which is {row['status'] or 'missing'}"
        for row in await _rows(
            connection,
            "SELECT r.order_id, r.variant_id, r.quantity, o.status "
            "FROM products.stock_reservations r LEFT JOIN orders.orders o ON o.id = r.order_id "
            "WHERE r.status = 'RESERVED' AND (o.id IS NULL OR o.status <> ALL($1::text[]))",
            LIVE_ORDER,
        )
    ]
    for order_status, reservation_status in (
        ("AWAITING_PAYMENT", "RESERVED"),
        ("PAID", "COMMITTED"),
    ):
        found += [
            f"{order_status} order {row['order_id']} wants {row['quantity']} of variant "
            f"{row['variant_id']}; its reservation is {row['held']} {row['status'] or 'missing'}"
            for row in await _rows(
                connection,
                "SELECT l.order_id, l.variant_id, l.quantity, r.quantity AS held, r.status "
                "FROM orders.order_lines l JOIN orders.orders o ON o.id = l.order_id "
                "LEFT JOIN products.stock_reservations r "
                "ON r.order_id = l.order_id AND r.variant_id = l.variant_id "
                "WHERE o.status = $1 AND (r.id IS NULL "
                "OR r.status <> $2 OR r.quantity <> l.quantity)",
                order_status,
                reservation_status,
            )
        ]
    found += [
        f"variant {row['variant_id']}: the ledger says {row['on_hand_moved']} on hand and "
        f"{row['reserved_moved']} reserved, the row {row['on_hand']} and {row['reserved']}"
        for row in await _rows(
            connection,
            "SELECT i.variant_id, i.on_hand, i.reserved, "
            "COALESCE(SUM(m.on_hand_delta), 0) AS on_hand_moved, "
            "COALESCE(SUM(m.reserved_delta), 0) AS reserved_moved "
            "FROM products.inventory i "
            "LEFT JOIN products.inventory_movements m ON m.variant_id = i.variant_id "
            "GROUP BY i.variant_id, i.on_hand, i.reserved "
            "HAVING i.on_hand <> COALESCE(SUM(m.on_hand_delta), 0) "
            "OR i.reserved <> COALESCE(SUM(m.reserved_delta), 0)",
        )
    ]
    return found


async def _payments(connection: asyncpg.Connection) -> list[str]:
    found = [
        f"order {row['id']} awaits payment and has none opened"
        for row in await _rows(
            connection,
            "SELECT o.id FROM orders.orders o LEFT JOIN payments.payments p ON p.order_id = o.id "
            "WHERE o.status = 'AWAITING_PAYMENT' AND p.id IS NULL",
        )
    ]
    found += [
        f"order {row['order_id']} was captured {row['captured']} of {row['total']} "
        f"over {row['charges']} payments while {row['status']}"
        for row in await _rows(
            connection,
            "SELECT p.order_id, o.total, o.status, SUM(p.captured_amount) AS captured, "
            "COUNT(*) FILTER (WHERE p.captured_amount > 0) AS charges "
            "FROM payments.payments p JOIN orders.orders o ON o.id = p.order_id "
            "GROUP BY p.order_id, o.total, o.status "
            "HAVING COUNT(*) FILTER (WHERE p.captured_amount > 0) > 1 "
            "OR SUM(p.captured_amount) > o.total "
            "OR (o.status = 'PAID' AND SUM(p.captured_amount) <> o.total) "
            "OR (o.status = ANY($1::text[]) AND SUM(p.captured_amount) > 0)",
            LIVE_ORDER,
        )
    ]
    found += [
        f"payment {row['id']} names order {row['order_id']}, which does not exist"
        for row in await _rows(
            connection,
            "SELECT p.id, p.order_id FROM payments.payments p "
            "LEFT JOIN orders.orders o ON o.id = p.order_id WHERE o.id IS NULL",
        )
    ]
    return found


def _consumed_names() -> list[str]:
    return sorted({event.name for events in consumed_events().values() for event in events})


async def _outboxes(connection: asyncpg.Connection) -> list[str]:
    found = []
    consumed = _consumed_names()
    for entry in DOMAINS:
        # The schema is a name from the registry, never input.
        row = await connection.fetchrow(
            "SELECT COUNT(*) FILTER (WHERE relayed_at IS NULL) AS unrelayed, "  # noqa: S608
            "COUNT(*) FILTER (WHERE relayed_at IS NOT NULL AND delivered_at IS NULL "
            f'AND name = ANY($1::text[])) AS undelivered FROM "{entry.name}".outbox',
            consumed,
        )
        assert row is not None
        if row["unrelayed"]:
            found.append(f"{entry.name}: {row['unrelayed']} outbox rows not relayed")
        if row["undelivered"]:
            found.append(f"{entry.name}: {row['undelivered']} outbox rows not delivered")
    return found


async def _dead_letters(settings: Settings) -> list[str]:
    if settings.redis_url is None:
        return []
    redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        found = []
        for entry in DOMAINS:
            length = await redis.xlen(dead_letter_key(settings, entry.name))
            if length:
                found.append(f"{entry.name}: {length} events in the dead-letter stream")
        return found
    except RedisError as error:
        return [f"Redis could not be read: {error}"]
    finally:
        await redis.aclose()


async def audit(settings: Settings, *, answered: Answered | None = None) -> list[str]:
    """Every inconsistency found, one sentence each; [] when there is none."""
    assert settings.database_url is not None
    connection = await asyncpg.connect(_dsn(settings.database_url))
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            found = await _orders(connection)
            found += await _answers(connection, answered or {})
            found += await _stock(connection)
            found += await _payments(connection)
            found += await _outboxes(connection)
    finally:
        await connection.close()
    return found + await _dead_letters(settings)


async def settled(
    settings: Settings, *, answered: Answered | None = None, seconds: float = 60.0
) -> list[str]:
    """The audit once it comes back clean, or its last findings after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = await audit(settings, answered=answered)
        except (OSError, asyncpg.PostgresError) as error:
            found = [f"the database could not be read: {error!r}"]
        if not found or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(0.5)
