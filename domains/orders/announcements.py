"""What the orders domain says of an order to the others: its number as people see it,
and the OrderStatusChanged of each status it takes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from domains.orders import events
from domains.orders.models import Order, OrderStatus


def order_number(order: Order) -> str:
    return f"SG-{order.number:06d}"


def status_changed(order: Order, previous: OrderStatus | None) -> events.OrderStatusChanged:
    """The announcement of the status `order` holds now, moved from `previous`."""
    return events.OrderStatusChanged(
        order_id=order.id,
        number=order_number(order),
        customer_id=order.customer_id,
        checkout_id=order.checkout_id,
        status=order.status,
        previous_status=None if previous is None else previous.value,
        sequence=order.status_sequence,
        reason=order.failure_reason,
        failed_lines=[
            events.FailedLine(
                variant_id=uuid.UUID(str(line["variant_id"])),
                requested=int(line["requested"]),
                available=int(line["available"]),
            )
            for line in order.failed_lines
        ],
        total=order.total,
        currency=order.currency,
        changed_at=datetime.now(UTC),
    )
