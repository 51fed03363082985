"""Checks on what clients send, shared by the users services: ids and free text."""

from __future__ import annotations

import uuid

from domains.kit.errors import InputErrors, parse_uuid
from domains.users.errors import UserErrorCode as Code


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    return parse_uuid(value, field, Code.INVALID)


def clean_text(raw: str, field: str, *, max_length: int, required: bool = True) -> str:
    value = raw.strip()
    if required and not value:
        raise InputErrors.single(field, Code.REQUIRED, f"`{field}` must not be empty.")
    if len(value) > max_length:
        raise InputErrors.single(
            field,
            Code.TOO_LONG,
            f"`{field}` must be at most {max_length} characters (got {len(value)}).",
        )
    return value
