"""Errors that services raise and transports translate.

Services speak in these terms; the GraphQL layer maps them onto top-level errors with
`extensions.code` (authorization) or onto payload `errors { field code message }` (input).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import Enum

# An error message quotes what the client sent, so they can find it, but only this much:
# an error must not hand back (or write to a log) an input of any length.
QUOTED_LENGTH = 40

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def quoted(value: object) -> str:
    """`value` as a message quotes it: repr()'d, cut to QUOTED_LENGTH characters."""
    text = str(value)
    if len(text) > QUOTED_LENGTH:
        text = text[: QUOTED_LENGTH - 1] + "\u2026"
    return repr(text)


class DomainError(Exception):
    """An expected failure whose message is safe to show to the client."""

    code = "BAD_USER_INPUT"


class AuthenticationRequired(DomainError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "You must be signed in to do this.") -> None:
        super().__init__(message)


class PermissionDenied(DomainError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "You are not allowed to do this.") -> None:
        super().__init__(message)


class NotFound(DomainError):
    code = "NOT_FOUND"


@dataclass(frozen=True)
class FieldError:
    """One problem with a mutation's input: which field, a machine code, a human message."""

    field: str | None
    code: Enum
    message: str


class InputErrors(DomainError):
    """Raised by a service to reject input; the unit of work rolls back on the way out."""

    def __init__(self, *errors: FieldError) -> None:
        if not errors:
            raise ValueError("InputErrors needs at least one FieldError")
        super().__init__("; ".join(error.message for error in errors))
        self.errors = list(errors)

    @classmethod
    def single(cls, field: str | None, code: Enum, message: str) -> InputErrors:
        return cls(FieldError(field, code, message))


def parse_uuid(value: str, field: str | None, invalid: Enum) -> uuid.UUID:
    """`value` as a UUID; otherwise InputErrors naming `field`, with the domain's own
    `invalid` code."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InputErrors.single(field, invalid, f"{quoted(value)} is not a valid ID.") from None


def uuid_or_none(value: str) -> uuid.UUID | None:
    """`value` as a UUID, or None where parse_uuid would refuse it: for the reads that
    answer a malformed id as they answer an unknown one, with null."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def clean_text(
    raw: str,
    field: str,
    *,
    max_length: int,
    required: bool = True,
    empty: Enum,
    too_long: Enum,
) -> str:
    """`raw` without surrounding whitespace; otherwise InputErrors naming `field`, with the
    domain's own `empty` (nothing left, when `required`) or `too_long` code."""
    value = raw.strip()
    if required and not value:
        raise InputErrors.single(field, empty, f"`{field}` must not be empty.")
    if len(value) > max_length:
        raise InputErrors.single(
            field,
            too_long,
            f"`{field}` must be at most {max_length} characters (got {len(value)}).",
        )
    return value


def clean_slug(raw: str, *, what: str, shortest: int, longest: int, invalid: Enum) -> str:
    """`raw` trimmed and lower-cased, if it is `shortest` to `longest` characters of
    lowercase letters and digits in runs joined by single hyphens; otherwise InputErrors
    naming `slug`, with the domain's own `invalid` code and `what` the slug is."""
    slug = raw.strip().lower()
    if not (shortest <= len(slug) <= longest) or not _SLUG.match(slug):
        raise InputErrors.single(
            "slug",
            invalid,
            f"{what} is {shortest} to {longest} lowercase letters, digits and single hyphens "
            f"(got {quoted(raw)}).",
        )
    return slug
