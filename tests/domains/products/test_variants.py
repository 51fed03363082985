"""variantCreate, variantUpdate, inventoryAdjust, productImageAdd/Remove."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from domains.kit.resources import Resources
from domains.products import media
from domains.products.models import Inventory, InventoryMovement, Product, ProductImage, Variant
from tests.domains.products.helpers import Catalog, VariantSpec, table_snapshot
from tests.support.graphql import GraphQLClient, GraphQLResponse

VARIANT_CREATE = """
mutation Create($productId: ID!, $input: VariantCreateInput!) {
  variantCreate(productId: $productId, input: $input) {
    variant {
      id sku options { name value } weightGrams
      price { amount currency decimalAmount } compareAtPrice { amount currency }
      inventory { quantityAvailable inStock onHand reserved }
      product { id priceRange { start { amount } stop { amount } } }
    }
    errors { field code message }
  }
}
"""

VARIANT_UPDATE = """
mutation Update($id: ID!, $input: VariantUpdateInput!) {
  variantUpdate(id: $id, input: $input) {
    variant { id sku price { amount currency } compareAtPrice { amount } weightGrams }
    errors { field code message }
  }
}
"""

ADJUST = """
mutation Adjust($variantId: ID!, $input: InventoryAdjustInput!) {
  inventoryAdjust(variantId: $variantId, input: $input) {
    variant { inventory { quantityAvailable onHand reserved } }
    errors { field code message }
  }
}
"""

IMAGE_ADD = """
mutation Add($productId: ID!, $input: ProductImageAddInput!) {
  productImageAdd(productId: $productId, input: $input) {
    image { id url altText position }
    errors { field code message }
  }
}
"""

IMAGE_REMOVE = """
mutation Remove($id: ID!) {
  productImageRemove(id: $id) {
    image { id }
    product { images { altText position } }
    errors { field code message }
  }
}
"""


def _variant(**overrides: Any) -> dict[str, Any]:
    return {"sku": "shirt-m", "price": {"amount": 2500, "currency": "usd"}, **overrides}


async def test_a_variant_gets_stock_an_audit_row_and_moves_the_product_price(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    product = await catalog.product(seller, status="DRAFT", variants=[])

    response = await products_client.execute(
        VARIANT_CREATE,
        {
            "productId": str(product.id),
            "input": _variant(
                compareAtPrice={"amount": 3000, "currency": "USD"},
                weightGrams=250,
                options=[{"name": "Size", "value": "M"}, {"name": "Colour", "value": "Sand"}],
                stock=7,
            ),
        },
        token=seller.token,
    )

    variant = response.ok()["variantCreate"]["variant"]
    assert variant["sku"] == "SHIRT-M"
    assert variant["price"] == {"amount": 2500, "currency": "USD", "decimalAmount": "25.00"}
    assert variant["compareAtPrice"] == {"amount": 3000, "currency": "USD"}
    assert variant["options"] == [
        {"name": "Size", "value": "M"},
        {"name": "Colour", "value": "Sand"},
    ]
    assert variant["inventory"] == {
        "quantityAvailable": 7,
        "inStock": True,
        "onHand": 7,
        "reserved": 0,
    }
    assert variant["product"]["priceRange"] == {"start": {"amount": 2500}, "stop": {"amount": 2500}}
    async with resources.session_factory() as session:
        movement = await session.scalar(select(InventoryMovement))
        assert movement is not None
        assert (movement.kind, movement.reason, movement.on_hand_delta, movement.on_hand_after) == (
            "ADJUSTMENT",
            "RECEIVED",
            7,
            7,
        )
        assert movement.actor_id == seller.user_id


async def test_stock_levels_are_for_the_seller_and_staff_only(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    product = await catalog.product(seller, variants=[VariantSpec("A-1", stock=4)])
    query = """query($id: ID!) {
      product(id: $id) { variants { inventory { quantityAvailable onHand reserved } } }
    }"""

    public = await products_client.execute(query, {"id": str(product.id)})
    rival = await products_client.execute(
        query, {"id": str(product.id)}, token=(await catalog.seller()).token
    )
    owner = await products_client.execute(query, {"id": str(product.id)}, token=seller.token)

    def inventory(response: GraphQLResponse) -> Any:
        return response.ok()["product"]["variants"][0]["inventory"]

    assert inventory(public) == {"quantityAvailable": 4, "onHand": None, "reserved": None}
    assert inventory(rival) == {"quantityAvailable": 4, "onHand": None, "reserved": None}
    assert inventory(owner) == {"quantityAvailable": 4, "onHand": 4, "reserved": 0}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"price": {"amount": -1, "currency": "USD"}},
            [("price.amount", "INVALID_PRICE", "`price.amount` must not be negative (got -1).")],
            id="negative price",
        ),
        pytest.param(
            {"price": {"amount": 100, "currency": "XYZ"}},
            [("price.currency", "INVALID_CURRENCY", "'XYZ' is not an ISO 4217 currency code.")],
            id="unknown currency",
        ),
        pytest.param(
            {"compareAtPrice": {"amount": 2500, "currency": "USD"}},
            [
                (
                    "compareAtPrice.amount",
                    "INVALID_PRICE",
                    "The compare-at price (what it used to cost) must be higher than the price.",
                )
            ],
            id="compare-at not above price",
        ),
        pytest.param(
            {"compareAtPrice": {"amount": 9000, "currency": "EUR"}},
            [
                (
                    "compareAtPrice.currency",
                    "CURRENCY_MISMATCH",
                    "The compare-at price must be in the price's currency.",
                )
            ],
            id="compare-at in another currency",
        ),
        pytest.param(
            {"sku": "no spaces!", "weightGrams": -5, "stock": -1},
            [
                (
                    "sku",
                    "INVALID_SKU",
                    "A SKU is 1 to 64 letters, digits, dots, hyphens and underscores, starting "
                    "and ending with a letter or digit (got 'no spaces!').",
                ),
                (
                    "weightGrams",
                    "INVALID",
                    "`weightGrams` must be between 0 and 1000000000 (got -5).",
                ),
                ("stock", "INVALID_QUANTITY", "`stock` must be between 0 and 1000000 (got -1)."),
            ],
            id="several at once",
        ),
        pytest.param(
            {"options": [{"name": "Size", "value": "M"}, {"name": "size", "value": "L"}]},
            [("options.1.name", "INVALID_OPTIONS", "The option 'size' is given twice.")],
            id="option twice",
        ),
    ],
)
async def test_bad_variant_input_is_refused_and_nothing_is_written(
    products_client: GraphQLClient,
    catalog: Catalog,
    resources: Resources,
    overrides: dict[str, Any],
    expected: list[tuple[str, str, str]],
) -> None:
    seller = await catalog.seller()
    product = await catalog.product(seller, status="DRAFT", variants=[])
    before = await table_snapshot(resources)

    response = await products_client.execute(
        VARIANT_CREATE,
        {"productId": str(product.id), "input": _variant(**overrides)},
        token=seller.token,
    )

    payload = response.ok()["variantCreate"]
    assert payload["variant"] is None
    assert [(e["field"], e["code"], e["message"]) for e in payload["errors"]] == expected
    assert await table_snapshot(resources) == before


async def test_a_duplicate_sku_is_refused_whatever_its_case_or_product(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    await catalog.product(seller, "First", variants=[VariantSpec("SHIRT-M")])
    other = await catalog.product(seller, "Second", status="DRAFT", variants=[])
    before = await table_snapshot(resources)

    response = await products_client.execute(
        VARIANT_CREATE,
        {"productId": str(other.id), "input": _variant(sku=" shirt-m ")},
        token=seller.token,
    )

    assert response.ok()["variantCreate"]["errors"] == [
        {"field": "sku", "code": "DUPLICATE_SKU", "message": "The SKU 'SHIRT-M' is taken."}
    ]
    assert await table_snapshot(resources) == before


async def test_variants_of_one_product_share_a_currency_and_differ_in_options(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    product = await catalog.product(
        seller, variants=[VariantSpec("SHIRT-S", options=[("Size", "S")])]
    )

    euros = await products_client.execute(
        VARIANT_CREATE,
        {
            "productId": str(product.id),
            "input": _variant(
                price={"amount": 100, "currency": "EUR"}, options=[{"name": "Size", "value": "M"}]
            ),
        },
        token=seller.token,
    )
    same_options = await products_client.execute(
        VARIANT_CREATE,
        {"productId": str(product.id), "input": _variant(options=[{"name": "size", "value": "s"}])},
        token=seller.token,
    )

    assert euros.ok()["variantCreate"]["errors"] == [
        {
            "field": "price.currency",
            "code": "CURRENCY_MISMATCH",
            "message": "Every variant of a product has one currency; this product's is USD.",
        }
    ]
    assert [e["code"] for e in same_options.ok()["variantCreate"]["errors"]] == [
        "DUPLICATE_VARIANT"
    ]


async def test_variant_update_reprices_the_product_and_clears_what_is_null(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    product = await catalog.product(
        seller,
        variants=[
            VariantSpec("A-1", price=1000),
            VariantSpec("A-2", price=2000, options=[("Size", "L")]),
        ],
    )
    variant_id = (await catalog.variant_ids(product.id))[0]

    response = await products_client.execute(
        VARIANT_UPDATE,
        {
            "id": str(variant_id),
            "input": {
                "price": {"amount": 3000, "currency": "USD"},
                "weightGrams": None,
                "sku": "a-1b",
            },
        },
        token=seller.token,
    )

    assert response.ok()["variantUpdate"] == {
        "variant": {
            "id": str(variant_id),
            "sku": "A-1B",
            "price": {"amount": 3000, "currency": "USD"},
            "compareAtPrice": None,
            "weightGrams": None,
        },
        "errors": [],
    }
    async with resources.session_factory() as session:
        stored = await session.get(Product, product.id)
        assert stored is not None
        assert (stored.price_min, stored.price_max) == (2000, 3000)
    by_sku = await products_client.execute(
        "query($sku: String!) { variant(sku: $sku) { id } }", {"sku": "a-1b"}
    )
    assert by_sku.ok()["variant"] == {"id": str(variant_id)}


async def test_another_sellers_variant_cannot_be_updated(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    owner = await catalog.seller()
    rival = await catalog.seller()
    product = await catalog.product(owner)
    variant_id = (await catalog.variant_ids(product.id))[0]
    before = await table_snapshot(resources)

    response = await products_client.execute(
        VARIANT_UPDATE,
        {"id": str(variant_id), "input": {"price": {"amount": 1, "currency": "USD"}}},
        token=rival.token,
    )

    assert response.error_codes == ["FORBIDDEN"]
    assert await table_snapshot(resources) == before


async def test_inventory_adjustments_are_audited_and_never_undercut_reservations(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    product = await catalog.product(seller, variants=[VariantSpec("A-1", stock=5)])
    variant_id = (await catalog.variant_ids(product.id))[0]
    async with resources.session_factory() as session, session.begin():
        inventory = await session.get(Inventory, variant_id)
        assert inventory is not None
        inventory.reserved = 3

    received = await products_client.execute(
        ADJUST,
        {
            "variantId": str(variant_id),
            "input": {"delta": 10, "reason": "RECEIVED", "note": "PO 42"},
        },
        token=seller.token,
    )
    assert received.ok()["inventoryAdjust"] == {
        "variant": {"inventory": {"quantityAvailable": 12, "onHand": 15, "reserved": 3}},
        "errors": [],
    }
    before = await table_snapshot(resources)

    too_many = await products_client.execute(
        ADJUST,
        {"variantId": str(variant_id), "input": {"delta": -13, "reason": "DAMAGED"}},
        token=seller.token,
    )
    zero = await products_client.execute(
        ADJUST,
        {"variantId": str(variant_id), "input": {"delta": 0, "reason": "CORRECTION"}},
        token=seller.token,
    )

    assert too_many.ok()["inventoryAdjust"]["errors"] == [
        {
            "field": "delta",
            "code": "INSUFFICIENT_STOCK",
            "message": "Cannot remove 13: 15 on hand, of which 3 reserved.",
        }
    ]
    assert [e["code"] for e in zero.ok()["inventoryAdjust"]["errors"]] == ["INVALID_QUANTITY"]
    assert await table_snapshot(resources) == before
    async with resources.session_factory() as session:
        movements = (
            await session.scalars(select(InventoryMovement).order_by(InventoryMovement.id))
        ).all()
    assert [(m.reason, m.on_hand_delta, m.on_hand_after, m.note) for m in movements] == [
        ("RECEIVED", 5, 5, "Initial stock"),
        ("RECEIVED", 10, 15, "PO 42"),
    ]


async def test_inventory_of_another_sellers_variant_cannot_be_adjusted(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    product = await catalog.product(await catalog.seller())
    rival = await catalog.seller()
    variant_id = (await catalog.variant_ids(product.id))[0]
    before = await table_snapshot(resources)

    response = await products_client.execute(
        ADJUST,
        {"variantId": str(variant_id), "input": {"delta": -1, "reason": "LOST"}},
        token=rival.token,
    )

    assert response.error_codes == ["FORBIDDEN"]
    assert await table_snapshot(resources) == before


async def test_images_are_ordered_and_served_from_the_media_base(
    products_client: GraphQLClient,
    catalog: Catalog,
    resources: Resources,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(media, "_base_url", "https://media.example.com/shop")
    seller = await catalog.seller()
    product = await catalog.product(seller)

    async def add(url: str, alt: str, position: int | None = None) -> dict[str, Any]:
        response = await products_client.execute(
            IMAGE_ADD,
            {
                "productId": str(product.id),
                "input": {"url": url, "altText": alt, "position": position},
            },
            token=seller.token,
        )
        payload: dict[str, Any] = response.ok()["productImageAdd"]
        return payload

    side = await add("products/p/side.jpg", "side")
    front = await add("https://media.example.com/shop/products/p/front.webp", "front", 0)
    outside = await add("https://elsewhere.example.com/x.jpg", "x")
    sneaky = await add("products/../../etc/passwd.png", "x")

    assert side["image"]["url"] == "https://media.example.com/shop/products/p/side.jpg"
    assert front["image"] == {
        "id": front["image"]["id"],
        "url": "https://media.example.com/shop/products/p/front.webp",
        "altText": "front",
        "position": 0,
    }
    assert [e["code"] for e in outside["errors"]] == ["INVALID_IMAGE"]
    assert [e["code"] for e in sneaky["errors"]] == ["INVALID_IMAGE"]

    removed = await products_client.execute(
        IMAGE_REMOVE, {"id": front["image"]["id"]}, token=seller.token
    )
    assert removed.ok()["productImageRemove"]["product"]["images"] == [
        {"altText": "side", "position": 0}
    ]
    async with resources.session_factory() as session:
        keys = (await session.scalars(select(ProductImage.storage_key))).all()
    assert keys == ["products/p/side.jpg"]


async def test_another_seller_cannot_remove_an_image(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    rival = await catalog.seller()
    await catalog.product(seller, images=1)
    async with resources.session_factory() as session:
        image_id = await session.scalar(select(ProductImage.id))
    before = await table_snapshot(resources)

    response = await products_client.execute(IMAGE_REMOVE, {"id": str(image_id)}, token=rival.token)
    unknown = await products_client.execute(
        IMAGE_REMOVE, {"id": str(uuid.uuid4())}, token=seller.token
    )

    assert response.error_codes == ["FORBIDDEN"]
    assert unknown.ok()["productImageRemove"]["errors"] == [
        {"field": "id", "code": "NOT_FOUND", "message": "No such image."}
    ]
    assert await table_snapshot(resources) == before


async def test_variant_lookup_by_sku_or_id(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    product = await catalog.product(seller, variants=[VariantSpec("BLUE-42")])
    draft = await catalog.product(
        seller, "Draft", status="DRAFT", variants=[VariantSpec("SECRET-1")]
    )
    query = "query($id: ID, $sku: String) { variant(id: $id, sku: $sku) { sku product { id } } }"

    by_sku = await products_client.execute(query, {"sku": "blue-42"})
    by_id = await products_client.execute(
        query, {"id": str((await catalog.variant_ids(product.id))[0])}
    )
    hidden = await products_client.execute(query, {"sku": "SECRET-1"})

    assert by_sku.ok()["variant"] == {"sku": "BLUE-42", "product": {"id": str(product.id)}}
    assert by_id.ok()["variant"] == by_sku.ok()["variant"]
    assert hidden.ok()["variant"] is None
    assert draft.id is not None
    async with catalog.resources.session_factory() as session:
        assert (
            await session.scalar(select(Variant.sku).where(Variant.product_id == draft.id))
            == "SECRET-1"
        )
