"""Error codes of the payments domain, exposed in the schema as `PaymentErrorCode`."""

from __future__ import annotations

from enum import Enum


class PaymentErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    NOT_REFUNDABLE = "NOT_REFUNDABLE"
    AMOUNT_TOO_LARGE = "AMOUNT_TOO_LARGE"
    PROVIDER_ERROR = "PROVIDER_ERROR"
    NOT_LOCAL = "NOT_LOCAL"
    ILLEGAL_STATE = "ILLEGAL_STATE"
    NOT_AVAILABLE = "NOT_AVAILABLE"
