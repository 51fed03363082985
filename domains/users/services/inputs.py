"""Checks on what clients send, shared by the users services: ids and free text."""

from __future__ import annotations

import uuid
from functools import partial

from domains.kit.errors import clean_text as kit_clean_text
from domains.kit.errors import parse_uuid
from domains.users.errors import UserErrorCode as Code


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    return parse_uuid(value, field, Code.INVALID)


# Free text, trimmed: REQUIRED when nothing is left, TOO_LONG past `max_length`.
clean_text = partial(kit_clean_text, empty=Code.REQUIRED, too_long=Code.TOO_LONG)
