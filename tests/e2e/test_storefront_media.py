"""Product images that show: the demo seed draws a picture for every image row into the
local media store, and the platform serves them at /media, the default MEDIA_BASE_URL
outside production; nothing outside the store can be reached through it."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from domains.kit.app import Runtime
from domains.kit.config import AppEnv, Settings
from domains.kit.resources import Resources
from domains.kit.seeding import SeedOptions
from shopgraph.media import media_directory, media_routes
from shopgraph.platform import build_platform_app
from shopgraph.provisioning import seed_all

LISTING = "{ products(first: 12) { nodes { name images { url altText } } } }"


@pytest.fixture
async def shop(
    settings: Settings, resources: Resources, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    settings = dataclasses.replace(settings, data_dir=tmp_path / "data")
    options = SeedOptions(sellers=2, customers=2, products=24, media_dir=media_directory(settings))
    counts = await seed_all(settings, options)
    assert counts["products"]["pictures"] == counts["products"]["images"] > 24
    again = await seed_all(settings, options)
    assert again["products"]["pictures"] == 0  # files already there are left alone
    app = build_platform_app(settings, Runtime(settings, workers_enabled=False))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        yield http, settings


async def test_every_image_of_the_first_page_is_served_by_the_platform(
    shop: tuple[httpx.AsyncClient, Settings],
) -> None:
    http, settings = shop
    response = await http.post("/graphql", json={"query": LISTING})
    products = response.json()["data"]["products"]["nodes"]
    urls = [image["url"] for product in products for image in product["images"]]
    assert len(products) == 12
    assert urls

    for url in urls:
        assert url.startswith(f"{settings.media_base_url}/products/"), url
        served = await http.get(urlsplit(url).path)
        assert served.status_code == 200, url
        assert served.headers["content-type"] == "image/jpeg"
        assert "max-age" in served.headers["cache-control"]
        assert served.headers["x-content-type-options"] == "nosniff"
        with Image.open(io.BytesIO(served.content)) as picture:
            assert picture.format == "JPEG"
            assert picture.size == (800, 800)

    again = await http.get(
        urlsplit(urls[0]).path, headers={"if-none-match": served.headers["etag"]}
    )
    assert again.status_code in (200, 304)


async def test_the_media_route_reaches_nothing_outside_the_store(
    shop: tuple[httpx.AsyncClient, Settings],
) -> None:
    http, settings = shop
    secret = settings.data_dir / "secret.jpg"
    secret.write_bytes(b"\xff\xd8 not for the web")
    (media_directory(settings) / "notes.txt").write_text("not an image")
    (media_directory(settings) / "escape.jpg").symlink_to(secret)
    (media_directory(settings) / ".hidden.jpg").write_bytes(b"\xff\xd8")

    for path in (
        "/media/%2e%2e/secret.jpg",
        "/media/products/%2e%2e/%2e%2e/secret.jpg",
        "/media/..%2fsecret.jpg",
        "/media/%2e%2e%2fsecret.jpg",
        "/media/escape.jpg",
        "/media/notes.txt",
        "/media/.hidden.jpg",
        "/media/products/nothing-here.jpg",
        "/media/",
    ):
        response = await http.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert b"not for the web" not in response.content
    raw = await _raw_get(http, b"/media/../secret.jpg")
    assert raw == 404

    refused = await http.post("/media/products/anything.jpg", content=b"x")
    assert refused.status_code == 405


async def test_production_serves_no_media(settings: Settings) -> None:
    production = dataclasses.replace(settings, app_env=AppEnv.PRODUCTION)
    assert media_routes(production) == []


async def _raw_get(http: httpx.AsyncClient, raw_path: bytes) -> int:
    """A request whose path the client does not normalise (as a hostile client sends it)."""
    transport = http._transport
    assert isinstance(transport, httpx.ASGITransport)
    status: list[int] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))  # type: ignore[call-overload]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path.decode(),
        "raw_path": raw_path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"shop")],
        "server": ("shop", 80),
        "client": ("127.0.0.1", 1234),
    }
    await transport.app(scope, receive, send)  # type: ignore[arg-type]
    return status[0]
