"""Whole journeys through the gateway over the platform's own subgraphs (in-process)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from domains.kit.config import Settings
from shopgraph.platform import build_platform_app
from tests.support.graphql import GraphQLClient


@pytest.fixture
async def platform(settings: Settings, resources: object) -> AsyncIterator[GraphQLClient]:
    # `resources` is requested so the per-test cleanup empties the tables afterwards.
    app = build_platform_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        yield GraphQLClient(http)


async def _ok(
    client: GraphQLClient,
    query: str,
    variables: dict[str, object] | None = None,
    token: str | None = None,
) -> dict[str, object]:
    response = await client.execute(query, variables, token=token)
    assert response.status_code == 200
    data: dict[str, object] = response.ok()
    return data


async def test_a_new_seller_opens_a_shop_and_lists_a_product(platform: GraphQLClient) -> None:
    await _ok(
        platform,
        'mutation { accountRegister(input: {email: "maker@example.com", '
        'password: "a long passphrase", name: "Mia Maker"}) { errors { code } } }',
    )
    signed_in = await _ok(
        platform,
        'mutation { tokenCreate(email: "maker@example.com", password: "a long passphrase") '
        "{ accessToken refreshToken } }",
    )
    tokens = signed_in["tokenCreate"]
    assert isinstance(tokens, dict)
    shop = await _ok(
        platform,
        'mutation { sellerProfileCreate(input: {shopName: "Mia Makes"}) '
        "{ sellerProfile { id slug } errors { code } } }",
        token=tokens["accessToken"],
    )
    refreshed = await _ok(
        platform,
        "mutation($t: String!) { tokenRefresh(refreshToken: $t) { accessToken errors { code } } }",
        {"t": tokens["refreshToken"]},
    )
    seller_token = refreshed["tokenRefresh"]["accessToken"]  # type: ignore[index]

    created = await _ok(
        platform,
        'mutation { productCreate(input: {name: "Felted Slippers"}) '
        "{ product { id name seller { id shopName } } errors { field code message } } }",
        token=seller_token,
    )

    payload = created["productCreate"]
    assert payload["errors"] == []  # type: ignore[index]
    product = payload["product"]  # type: ignore[index]
    # The product names its shop by id (products), the gateway fetches its name (users).
    assert product["seller"] == {  # type: ignore[index]
        "id": shop["sellerProfileCreate"]["sellerProfile"]["id"],  # type: ignore[index]
        "shopName": "Mia Makes",
    }


async def test_a_customer_cannot_list_products(platform: GraphQLClient) -> None:
    await _ok(
        platform,
        'mutation { accountRegister(input: {email: "buyer@example.com", '
        'password: "a long passphrase", name: "Bo Buyer"}) { errors { code } } }',
    )
    signed_in = await _ok(
        platform,
        'mutation { tokenCreate(email: "buyer@example.com", password: "a long passphrase") '
        "{ accessToken } }",
    )

    response = await platform.execute(
        'mutation { productCreate(input: {name: "Nope"}) { product { id } errors { code } } }',
        token=signed_in["tokenCreate"]["accessToken"],  # type: ignore[index]
    )

    assert response.error_codes == ["FORBIDDEN"]
    assert response.errors[0]["path"] == ["productCreate"]
