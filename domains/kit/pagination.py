"""Keyset pagination: opaque cursors and page-size limits.

A cursor encodes the sort key of the last row seen, so page N costs the same as page 1
(no OFFSET). Clients must treat cursors as opaque; a malformed one is a clear input error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from domains.kit.errors import DomainError, quoted

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class InvalidPaginationArgument(DomainError):
    code = "BAD_USER_INPUT"


def encode_cursor(kind: str, key: Sequence[Any]) -> str:
    payload = json.dumps([kind, list(key)], separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, *, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not (isinstance(decoded, list) and len(decoded) == 2 and decoded[0] == kind):
            raise ValueError
        key = decoded[1]
        if not (isinstance(key, list) and len(key) == arity):
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidPaginationArgument(f"The cursor {quoted(cursor)} is malformed.") from None
    return key


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise InvalidPaginationArgument(
            f"`first` must be between 0 and {MAX_PAGE_SIZE} (got {first})."
        )
    return first
