"""How the products services read input: ids, text, "leave as it is", every problem of
one input collected so the client hears of all of them at once, and a unique value
taken by a concurrent write refused as an input error."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import Enum
from functools import partial
from typing import Any, Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.errors import FieldError, InputErrors, parse_uuid
from domains.kit.errors import clean_text as kit_clean_text
from domains.kit.events import savepoint
from domains.products.errors import ProductErrorCode

Code = ProductErrorCode


class Unchanged(Enum):
    UNCHANGED = "UNCHANGED"


# "Leave as it is", as opposed to None, which clears a nullable field.
UNCHANGED: Final = Unchanged.UNCHANGED


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    return parse_uuid(value, field, Code.INVALID)


# Free text, trimmed: REQUIRED when nothing is left, TOO_LONG past `max_length`.
clean_text = partial(kit_clean_text, empty=Code.REQUIRED, too_long=Code.TOO_LONG)


class Errors:
    """Collects every problem of one input, so the client hears of all of them at once."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str | None, code: Code, message: str) -> None:
        self.items.append(FieldError(field, code, message))

    def check(self, run: Any) -> Any:
        try:
            return run()
        except InputErrors as error:
            self.items.extend(error.errors)
            return None

    def raise_if_any(self) -> None:
        if self.items:
            raise InputErrors(*self.items)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:180].strip("-")


@asynccontextmanager
async def refuse_duplicate(
    session: AsyncSession, field: str, code: Code, message: Callable[[], str]
) -> AsyncIterator[None]:
    """Write in a savepoint; a unique violation (a concurrent write took the value after
    our check) rolls back only the savepoint and becomes an input error on `field`."""
    try:
        async with savepoint(session):
            yield
    except IntegrityError:
        raise InputErrors.single(field, code, message()) from None
