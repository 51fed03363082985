"""Settings of the products domain, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from domains.kit.config import ConfigError, Settings, duration_setting

MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class StorefrontConfig:
    # STOREFRONT_URL: the storefront's origin; catalog changes are announced to its
    # POST /api/revalidate. Unset: nothing is announced.
    url: str | None = None
    # STOREFRONT_REVALIDATE_SECRET: sent as x-revalidate-secret; the route refuses others.
    secret: str | None = field(default=None, repr=False)

    @property
    def enabled(self) -> bool:
        return self.url is not None and self.secret is not None

    @property
    def revalidate_url(self) -> str:
        assert self.url is not None
        return f"{self.url}/api/revalidate"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StorefrontConfig:
        env = os.environ if environ is None else environ
        url = env.get("STOREFRONT_URL", "").strip() or None
        secret = env.get("STOREFRONT_REVALIDATE_SECRET", "").strip() or None
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
                raise ConfigError(
                    "STOREFRONT_URL must be the storefront's origin such as "
                    f"https://shop.example.com or http://127.0.0.1:3000 (got {url!r})"
                )
            url = url.rstrip("/")
        if (url is None) != (secret is None):
            raise ConfigError(
                "STOREFRONT_URL and STOREFRONT_REVALIDATE_SECRET must be set together: the "
                "storefront's revalidation route answers only requests carrying the secret"
            )
        if secret is not None and len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"STOREFRONT_REVALIDATE_SECRET must be at least {MIN_SECRET_LENGTH} characters "
                f"(got {len(secret)}); generate one with: openssl rand -hex 32"
            )
        return cls(url=url, secret=secret)


# totalCount counts matches up to this many (SEARCH_COUNT_LIMIT); beyond, it says so.
COUNT_LIMIT = 10_000
# Facets count, and RELEVANCE ranks, this many matches (SEARCH_BEST_MATCHES).
BEST_MATCHES = 1_000


@dataclass(frozen=True)
class SearchLimits:
    """How much of a large result a listing reads: the work of a search is bounded by
    these, not by the size of the catalog."""

    count: int = COUNT_LIMIT
    best: int = BEST_MATCHES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SearchLimits:
        env = os.environ if environ is None else environ
        values = []
        for name, default in (
            ("SEARCH_COUNT_LIMIT", COUNT_LIMIT),
            ("SEARCH_BEST_MATCHES", BEST_MATCHES),
        ):
            raw = env.get(name, "").strip()
            if not raw:
                values.append(default)
                continue
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if value < 1:
                raise ConfigError(f"{name} must be a positive whole number (got {raw!r})")
            values.append(value)
        return cls(count=values[0], best=values[1])


@dataclass(frozen=True)
class StockHold:
    # ORDER_PAYMENT_WINDOW, the orders domain's too: how long an order may wait for its
    # payment. Products reserves a checkout's units from the checkout request itself, in
    # parallel with orders placing the order, so it holds them that long from the
    # request (plus a grace; order_stock.py).
    payment_window: timedelta = timedelta(minutes=30)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StockHold:
        return cls(
            payment_window=duration_setting("ORDER_PAYMENT_WINDOW", cls.payment_window, environ)
        )


def check(settings: Settings) -> None:
    """Validate this domain's variables at start-up (shopgraph calls it), not first use."""
    StorefrontConfig.from_env()
    SearchLimits.from_env()
    StockHold.from_env()
