"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults follow RFC 9106's second recommended profile (argon2id, 64 MiB).
_hasher = PasswordHasher()

MIN_LENGTH = 10
# Bounded so that hashing cost cannot be driven up by a huge input.
MAX_LENGTH = 256

# Verifying against this when the email is unknown makes both failure paths take the same
# time, so response timing does not reveal which emails have accounts.
_DUMMY_HASH = _hasher.hash("an unguessable placeholder password")


def policy_violation(password: str, email: str) -> str | None:
    """The reason a password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"The password must be at least {MIN_LENGTH} characters long."
    if len(password) > MAX_LENGTH:
        return f"The password must be at most {MAX_LENGTH} characters long."
    lowered = password.strip().lower()
    local_part = email.split("@", 1)[0].lower()
    if lowered in (email.lower(), local_part):
        return "The password must not be your email address."
    return None


async def hash_password(password: str) -> str:
    # argon2 is CPU-bound for tens of milliseconds: keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return (
                _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
