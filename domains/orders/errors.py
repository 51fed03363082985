"""Error codes of the orders domain, exposed in the schema as `OrderErrorCode`."""

from __future__ import annotations

from enum import Enum


class OrderErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    NOT_YOUR_LINE = "NOT_YOUR_LINE"
    ALREADY_FULFILLED = "ALREADY_FULFILLED"
    REQUIRED = "REQUIRED"
