"""The order's status machine: which status may follow which, and who may cancel when."""

from __future__ import annotations

from domains.kit.errors import DomainError
from domains.orders.models import OrderStatus

S = OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: frozenset({S.AWAITING_PAYMENT, S.FAILED, S.CANCELLED}),
    S.AWAITING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.FULFILLED, S.CANCELLED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.FULFILLED: frozenset({S.DELIVERED, S.CANCELLED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.DELIVERED: frozenset({S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.REFUNDED}),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

# Only the payments domain's word that a refund failed moves an order these ways.
REFUND_REVERSALS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.PAID, S.FULFILLED, S.DELIVERED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PAID, S.FULFILLED, S.DELIVERED}),
}
REFUND_STATUSES = frozenset({S.REFUNDED, S.PARTIALLY_REFUNDED})

CUSTOMER_CANCELLABLE = frozenset({S.PENDING, S.AWAITING_PAYMENT, S.PAID})
STAFF_CANCELLABLE = frozenset({S.PENDING, S.AWAITING_PAYMENT, S.PAID, S.FULFILLED})


class IllegalTransition(DomainError):
    """A status change the machine does not allow; the message names both statuses."""

    code = "BAD_USER_INPUT"


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(
            f"An order cannot go from {current.value} to {target.value}"
            + (
                f" (from {current.value} it may go to "
                f"{', '.join(sorted(s.value for s in TRANSITIONS[current]))})."
                if TRANSITIONS[current]
                else f": {current.value} is final."
            )
        )
