"""The domains this platform runs, named by import strings.

This is the composition root: the only place that knows every domain. Domains never
import each other, and the gateway learns subgraphs from configuration, so lifting a
domain into its own service means changing an entry here, not its code.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from domains.kit.config import Settings


@dataclass(frozen=True)
class SchemaOwner:
    """A package owning a Postgres schema of that name, with its own Alembic history."""

    name: str
    package: str

    @property
    def migrations_directory(self) -> Path:
        module = importlib.import_module(self.package)
        assert module.__file__ is not None
        return Path(module.__file__).parent / "migrations"


@dataclass(frozen=True)
class DomainEntry(SchemaOwner):
    @property
    def app_factory(self) -> str:
        return f"{self.package}.app:create_app"

    @property
    def seed(self) -> str:
        return f"{self.package}.seed:seed"


Owner = TypeVar("Owner", bound=SchemaOwner)

DOMAINS: tuple[DomainEntry, ...] = (
    DomainEntry("users", "domains.users"),
    DomainEntry("products", "domains.products"),
    DomainEntry("carts", "domains.carts"),
    DomainEntry("orders", "domains.orders"),
    DomainEntry("payments", "domains.payments"),
)


# The gateway keeps partner API keys in its own schema, migrated after the domains.
GATEWAY = SchemaOwner("gateway", "gateway")

MIGRATED: tuple[SchemaOwner, ...] = (*DOMAINS, GATEWAY)


def _named(entries: Sequence[Owner], name: str, kind: str) -> Owner:
    for entry in entries:
        if entry.name == name:
            return entry
    known = ", ".join(entry.name for entry in entries)
    raise KeyError(f"unknown {kind} {name!r} (known: {known})")


def migrated(name: str) -> SchemaOwner:
    return _named(MIGRATED, name, "schema owner")


def domain(name: str) -> DomainEntry:
    return _named(DOMAINS, name, "domain")


def check_domain_settings(settings: Settings) -> None:
    """Each domain's own variables (`check(settings)` in its config module), validated at
    start-up so a bad value stops the process with a ConfigError naming it."""
    for entry in DOMAINS:
        try:
            module = importlib.import_module(f"{entry.package}.config")
        except ModuleNotFoundError as error:
            if error.name != f"{entry.package}.config":
                raise
            continue
        check = getattr(module, "check", None)
        if check is not None:
            check(settings)


def _events_module(entry: DomainEntry) -> Any:
    try:
        return importlib.import_module(f"{entry.package}.events")
    except ModuleNotFoundError as error:
        if error.name != f"{entry.package}.events":
            raise
        return None


def published_events() -> dict[str, tuple[Any, ...]]:
    """The events each domain publishes (`PUBLISHED` in its events module)."""
    return {
        entry.name: tuple(getattr(module, "PUBLISHED", ()))
        for entry in DOMAINS
        if (module := _events_module(entry)) is not None
    }


def consumed_events() -> dict[str, tuple[Any, ...]]:
    """How each domain reads the events it consumes (`CONSUMED` in its events module)."""
    return {
        entry.name: tuple(getattr(module, "CONSUMED", ()))
        for entry in DOMAINS
        if (module := _events_module(entry)) is not None
    }


def load(import_string: str) -> Any:
    module_name, _, attribute = import_string.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
