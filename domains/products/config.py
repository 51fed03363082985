"""Settings of the products domain, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from domains.kit.config import ConfigError, Settings
from domains.products.search.criteria import SearchLimits

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


def check(settings: Settings) -> None:
    """Validate this domain's variables at start-up (shopgraph calls it), not first use."""
    StorefrontConfig.from_env()
    SearchLimits.from_env()
