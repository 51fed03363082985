"""How the users domain reads the order events it consumes: only the fields it needs.

The orders domain's committed schemas (schema/events/) are the contract; these readers
are checked against them by a test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domains.kit.events import Event


@dataclass(frozen=True)
class OrderStatusChanged(Event):
    name = "OrderStatusChanged"
    version = 1

    order_id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    status: str
    previous_status: str | None
    reason: str | None
    total: int
    currency: str | None


@dataclass(frozen=True)
class FulfilledLine:
    product_name: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderLinesFulfilled(Event):
    name = "OrderLinesFulfilled"
    version = 1

    order_id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    tracking_number: str
    lines: list[FulfilledLine]


CONSUMED: tuple[type[Event], ...] = (OrderStatusChanged, OrderLinesFulfilled)
