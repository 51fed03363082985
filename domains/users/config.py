"""Settings of the users domain, read from the environment with the kit's parsers.

Sign-in throttling (domains/users/throttle.py): after SIGN_IN_FAILURES_PER_ACCOUNT
failed sign-ins for one email address, or SIGN_IN_FAILURES_PER_IP from one client
address, within SIGN_IN_FAILURE_WINDOW of each other, sign-in for that address or
client is locked for SIGN_IN_LOCK, twice as long after every further failure, never
longer than SIGN_IN_MAX_LOCK. ACCOUNT_REQUESTS_PER_EMAIL and ACCOUNT_REQUESTS_PER_IP
bound registrations and password-reset requests per ACCOUNT_REQUEST_WINDOW. A limit of
0 turns that kind of throttle off.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from domains.kit.config import ConfigError, Settings, parse_duration


@dataclass(frozen=True)
class UsersConfig:
    sign_in_failures_per_account: int = 5
    sign_in_failures_per_ip: int = 20
    sign_in_failure_window: timedelta = timedelta(minutes=15)
    sign_in_lock: timedelta = timedelta(seconds=30)
    sign_in_max_lock: timedelta = timedelta(minutes=15)
    account_requests_per_email: int = 5
    account_requests_per_ip: int = 30
    account_request_window: timedelta = timedelta(hours=1)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> UsersConfig:
        env = os.environ if environ is None else environ
        defaults = cls()

        def count(name: str, default: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise ConfigError(f"{name} must be an integer (got {raw!r})") from None
            if value < 0:
                raise ConfigError(f"{name} must be >= 0 (got {value})")
            return value

        def duration(name: str, default: timedelta) -> timedelta:
            raw = env.get(name, "").strip()
            return parse_duration(name, raw) if raw else default

        config = cls(
            sign_in_failures_per_account=count(
                "SIGN_IN_FAILURES_PER_ACCOUNT", defaults.sign_in_failures_per_account
            ),
            sign_in_failures_per_ip=count(
                "SIGN_IN_FAILURES_PER_IP", defaults.sign_in_failures_per_ip
            ),
            sign_in_failure_window=duration(
                "SIGN_IN_FAILURE_WINDOW", defaults.sign_in_failure_window
            ),
            sign_in_lock=duration("SIGN_IN_LOCK", defaults.sign_in_lock),
            sign_in_max_lock=duration("SIGN_IN_MAX_LOCK", defaults.sign_in_max_lock),
            account_requests_per_email=count(
                "ACCOUNT_REQUESTS_PER_EMAIL", defaults.account_requests_per_email
            ),
            account_requests_per_ip=count(
                "ACCOUNT_REQUESTS_PER_IP", defaults.account_requests_per_ip
            ),
            account_request_window=duration(
                "ACCOUNT_REQUEST_WINDOW", defaults.account_request_window
            ),
        )
        if config.sign_in_max_lock < config.sign_in_lock:
            raise ConfigError(
                f"SIGN_IN_MAX_LOCK ({config.sign_in_max_lock}) must not be shorter than "
                f"SIGN_IN_LOCK ({config.sign_in_lock})"
            )
        return config


def check(settings: Settings) -> None:
    """Validate this domain's variables at start-up (shopgraph calls it), not first use."""
    UsersConfig.from_env()
