"""The storefront hears of catalog changes: with STOREFRONT_URL and its secret set, a
price changed or a review written through the API leads to a call of the storefront's
revalidation route naming the product's tag; without them nothing is called."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from domains.kit.config import Settings
from domains.kit.events import stream_key
from domains.kit.resources import Resources
from domains.products.storefront import GROUP
from shopgraph.platform import build_platform_app
from tests.domains.products.helpers import Catalog, VariantSpec
from tests.support.checkout import eventually
from tests.support.fake_storefront import FakeStorefront, fake_storefront
from tests.support.graphql import GraphQLClient

SECRET = "s" * 40
PRICE = """
mutation($id: ID!) {
  variantUpdate(id: $id, input: {price: {amount: 4200, currency: "USD"}}) {
    variant { price { amount } } errors { code }
  }
}
"""
REVIEW = """
mutation($p: ID!) {
  reviewCreate(productId: $p, input: {rating: 4, title: "Good"}) { review { id } errors { code } }
}
"""
WATCHED = ("VariantPriceChanged", "StockLevelChanged", "ReviewPublished")


@pytest.fixture
def storefront() -> Iterator[FakeStorefront]:
    # Its first call fails: the notifier tries again.
    with fake_storefront(failures=1) as fake:
        yield fake


@asynccontextmanager
async def _platform(settings: Settings) -> AsyncIterator[GraphQLClient]:
    app = build_platform_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        yield GraphQLClient(http)


async def _groups(resources: Resources, event_name: str) -> dict[str, dict[str, Any]]:
    stream = stream_key(resources.settings, event_name)
    if not await resources.redis.exists(stream):
        return {}
    return {
        str(group["name"].decode() if isinstance(group["name"], bytes) else group["name"]): group
        for group in await resources.redis.xinfo_groups(stream)
    }


async def _settled(resources: Resources) -> bool:
    """Every products event is relayed and the notifier has handled all it read."""
    async with resources.session_factory() as session:
        unrelayed = await session.scalar(
            text("SELECT count(*) FROM products.outbox WHERE relayed_at IS NULL")
        )
    if unrelayed:
        return False
    for name in WATCHED:
        group = (await _groups(resources, name)).get(GROUP)
        if group is None or int(group["pending"]) or int(group.get("lag") or 0):
            return False
    return True


async def test_a_price_change_and_a_review_revalidate_the_products_pages(
    settings: Settings,
    resources: Resources,
    storefront: FakeStorefront,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STOREFRONT_URL", storefront.url)
    monkeypatch.setenv("STOREFRONT_REVALIDATE_SECRET", SECRET)
    catalog = Catalog(resources)
    seller = await catalog.seller()
    async with _platform(settings) as platform:
        product = await catalog.product(seller, "Felted Slippers", variants=[VariantSpec("FS-1")])
        (variant_id,) = await catalog.variant_ids(product.id)
        tag = f"product:{product.id}"
        await eventually(lambda: _settled(resources))
        before = len(storefront.tagged(tag))

        changed = await platform.execute(PRICE, {"id": str(variant_id)}, token=seller.token)
        assert changed.ok()["variantUpdate"]["errors"] == []

        async def announced() -> bool:
            return len(storefront.tagged(tag)) > before

        await eventually(announced)
        call = storefront.tagged(tag)[-1]
        assert call.path == "/api/revalidate"
        assert call.secret == SECRET
        assert call.tags == [tag, "products"]
        assert storefront.refused == 1  # the first call failed and was made again

        await eventually(lambda: _settled(resources))
        before = len(storefront.tagged(tag))
        customer = catalog.customer()
        reviewed = await platform.execute(REVIEW, {"p": str(product.id)}, token=customer.token)
        assert reviewed.ok()["reviewCreate"]["errors"] == []
        await eventually(announced)


async def test_without_a_storefront_url_nothing_is_called(
    settings: Settings,
    resources: Resources,
    storefront: FakeStorefront,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STOREFRONT_URL", raising=False)
    monkeypatch.delenv("STOREFRONT_REVALIDATE_SECRET", raising=False)
    catalog = Catalog(resources)
    seller = await catalog.seller()
    async with _platform(settings) as platform:
        product = await catalog.product(seller, "Wool Socks", variants=[VariantSpec("WS-1")])
        (variant_id,) = await catalog.variant_ids(product.id)
        changed = await platform.execute(PRICE, {"id": str(variant_id)}, token=seller.token)
        assert changed.ok()["variantUpdate"]["errors"] == []

        async def relayed() -> bool:
            carts_read = (await _groups(resources, "VariantPriceChanged")).get("carts")
            return carts_read is not None and not int(carts_read.get("lag") or 0)

        await eventually(relayed)
        assert GROUP not in await _groups(resources, "VariantPriceChanged")
    assert storefront.calls == []
    assert storefront.refused == 0
