"""GATEWAY_TRUSTED_DOCUMENTS_ONLY through the whole platform: a page on the storefront's
origin (or anything posing as one) cannot run a document of its own, while the documents
the storefront's build registered (schema/operations/storefront.json) run by id."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import orjson

from domains.kit.config import Settings
from domains.kit.resources import Resources
from shopgraph.platform import build_platform_app

STOREFRONT_ORIGIN = "http://127.0.0.1:3000"
MANIFEST = Path(__file__).resolve().parents[2] / "schema" / "operations" / "storefront.json"


async def test_free_form_text_from_the_storefronts_origin_is_refused_its_ids_run(
    settings: Settings, resources: Resources
) -> None:
    app = build_platform_app(
        dataclasses.replace(
            settings,
            gateway_trusted_documents_only=True,
            gateway_cors_origins=(STOREFRONT_ORIGIN,),
        )
    )
    ids = {op["name"]: op["id"] for op in json.loads(MANIFEST.read_text())["operations"]}
    headers = {"origin": STOREFRONT_ORIGIN, "accept": "application/graphql-response+json"}
    listing = {"first": 2, "sort": "NEWEST"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        free_form = await http.post(
            "/graphql", json={"query": "{ categories { id name } }"}, headers=headers
        )
        categories = await http.get(
            "/graphql",
            params={"documentId": f"sha256:{ids['CategoryTree']}"},
            headers=headers,
        )
        products = await http.get(
            "/graphql",
            params={
                "documentId": f"sha256:{ids['ProductListing']}",
                "variables": orjson.dumps(listing).decode(),
            },
            headers=headers,
        )
        graphiql = await http.get("/graphql", headers={"accept": "text/html"})

    assert free_form.status_code == 400
    assert free_form.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    assert free_form.headers["access-control-allow-origin"] == STOREFRONT_ORIGIN
    assert categories.status_code == 200, categories.text
    assert "categories" in categories.json()["data"]
    assert products.status_code == 200, products.text
    assert "totalCount" in products.json()["data"]["products"]
    assert "<html" not in graphiql.text.lower()  # GraphiQL is off by default with the switch
