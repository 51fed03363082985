"""Where product images are served from.

Rows keep the path of an image inside the media store ("products/<id>/front.jpg"); the
URL is the media base plus that path, so moving to another bucket or CDN rewrites no
rows. The base comes from MEDIA_BASE_URL: an S3 bucket or CDN address in production,
and by default elsewhere the platform's own /media, which serves the local media store.
"""

from __future__ import annotations

from domains.kit.config import Settings

DEFAULT_MEDIA_BASE_URL = Settings().media_base_url

# Set once at start-up from Settings.media_base_url (validated there, from MEDIA_BASE_URL).
_base_url = DEFAULT_MEDIA_BASE_URL


def configure(base_url: str) -> None:
    global _base_url
    _base_url = base_url.rstrip("/")


def media_base_url() -> str:
    return _base_url


def image_url(storage_key: str, base: str | None = None) -> str:
    return f"{base or media_base_url()}/{storage_key}"
