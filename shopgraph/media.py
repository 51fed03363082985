"""The local media store at `/media`: product images served by the platform itself.

Outside production nothing stands in front of the platform to serve images, so
`shopgraph serve` serves the files under `<data dir>/media` (where the demo seed draws
its pictures) at `/media/<storage key>`, the default MEDIA_BASE_URL there. Only GET and
HEAD of image files are answered; every other path, a name that leaves the store (`..`,
an encoded `%2e%2e`, a symlink pointing out) included, is a 404. In production images
come from the bucket's CDN (MEDIA_BASE_URL) and this route is not mounted.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from domains.kit.config import Settings

MEDIA_PATH = "/media"
# What a media path may end in, and the content type it is served as.
IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".gif": "image/gif",
}
# A picture under a key may be redrawn (seeding a fresh data dir), so browsers revalidate
# after a day rather than keeping it forever; ETag and Last-Modified make that cheap.
CACHE_CONTROL = "public, max-age=86400"


def media_directory(settings: Settings) -> Path:
    return settings.data_dir / "media"


class MediaFiles:
    """Image files under one directory, read-only, with their type and a cache lifetime."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._files = StaticFiles(directory=directory, check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = PurePosixPath(scope.get("path", ""))
        content_type = IMAGE_TYPES.get(path.suffix.lower())
        if scope["method"] not in ("GET", "HEAD"):
            await PlainTextResponse("Method Not Allowed", 405, {"allow": "GET, HEAD"})(
                scope, receive, send
            )
            return
        if content_type is None or any(part.startswith(".") for part in path.parts):
            await PlainTextResponse("Not Found", 404)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") in (200, 304):
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"content-type"
                ]
                headers.append((b"content-type", content_type.encode()))
                headers.append((b"cache-control", CACHE_CONTROL.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self._files(scope, receive, send_with_headers)


def media_routes(settings: Settings) -> list[BaseRoute]:
    if settings.is_production:
        return []
    return [Mount(MEDIA_PATH, app=MediaFiles(media_directory(settings)))]
