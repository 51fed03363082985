"""Where product images are served from.

Rows keep the path of an image inside the media store ("products/<id>/front.jpg"); the
URL is the media base plus that path, so moving to another bucket or CDN rewrites no
rows. The base comes from MEDIA_BASE_URL (an S3 bucket or CDN address).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from domains.kit.config import ConfigError

DEFAULT_MEDIA_BASE_URL = "https://cdn.shopgraph.dev/media"


def media_base_url(environ: Mapping[str, str] | None = None) -> str:
    """MEDIA_BASE_URL without its trailing slash; ConfigError when it is not a URL."""
    raw = (os.environ if environ is None else environ).get("MEDIA_BASE_URL", "").strip()
    if not raw:
        return DEFAULT_MEDIA_BASE_URL
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            "MEDIA_BASE_URL must be an http(s) URL such as https://cdn.example.com/media "
            f"(got {raw!r})"
        )
    return raw.rstrip("/")


def image_url(storage_key: str, base: str | None = None) -> str:
    return f"{base or media_base_url()}/{storage_key}"
