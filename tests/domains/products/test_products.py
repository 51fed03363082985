"""productCreate, productUpdate, productArchive: who may, what is checked, what is written."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from domains.kit.resources import Resources
from domains.products.models import Product, ProductRating
from tests.domains.products.helpers import Catalog, count_rows, table_snapshot
from tests.support.graphql import GraphQLClient

CREATE = """
mutation Create($input: ProductCreateInput!) {
  productCreate(input: $input) {
    product { id name slug description status seller { id } category { slug } rating { count } }
    errors { field code message }
  }
}
"""

UPDATE = """
mutation Update($id: ID!, $input: ProductUpdateInput!) {
  productUpdate(id: $id, input: $input) {
    product { id name slug status category { slug } }
    errors { field code message }
  }
}
"""

ARCHIVE = """
mutation Archive($id: ID!) {
  productArchive(id: $id) { product { id status } errors { field code message } }
}
"""

PRODUCT = """
query Product($id: ID, $slug: String) {
  product(id: $id, slug: $slug) { id name slug status }
}
"""


async def test_a_seller_creates_a_draft_in_their_own_shop(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    shirts = await catalog.category("Shirts")

    response = await products_client.execute(
        CREATE,
        {
            "input": {
                "name": "  Linen Shirt ",
                "description": "Breezy.",
                "categoryId": str(shirts),
            }
        },
        token=seller.token,
    )

    payload = response.ok()["productCreate"]
    assert payload["errors"] == []
    assert payload["product"] == {
        "id": payload["product"]["id"],
        "name": "Linen Shirt",
        "slug": "linen-shirt",
        "description": "Breezy.",
        "status": "DRAFT",
        "seller": {"id": str(seller.seller_id)},
        "category": {"slug": "shirts"},
        "rating": {"count": 0},
    }
    async with resources.session_factory() as session:
        stored = await session.get(Product, uuid.UUID(payload["product"]["id"]))
        assert stored is not None
        assert stored.seller_id == seller.seller_id
        assert await session.get(ProductRating, stored.id) is not None


async def test_a_derived_slug_that_is_taken_gets_a_suffix_but_an_explicit_one_is_refused(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    await catalog.product(seller, "Linen Shirt")
    before = await table_snapshot(resources)

    explicit = await products_client.execute(
        CREATE, {"input": {"name": "Other", "slug": "linen-shirt"}}, token=seller.token
    )
    assert explicit.ok()["productCreate"] == {
        "product": None,
        "errors": [
            {
                "field": "slug",
                "code": "DUPLICATE_SLUG",
                "message": "The slug 'linen-shirt' is taken.",
            }
        ],
    }
    assert await table_snapshot(resources) == before

    derived = await products_client.execute(
        CREATE, {"input": {"name": "Linen shirt"}}, token=seller.token
    )
    slug = derived.ok()["productCreate"]["product"]["slug"]
    assert slug.startswith("linen-shirt-")
    assert len(slug) == len("linen-shirt-") + 6


async def test_every_bad_field_is_reported_and_nothing_is_written(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    before = await table_snapshot(resources)

    response = await products_client.execute(
        CREATE,
        {
            "input": {
                "name": "   ",
                "slug": "Not A Slug!",
                "description": "x" * 20_001,
                "categoryId": str(uuid.uuid4()),
            }
        },
        token=seller.token,
    )

    errors = response.ok()["productCreate"]["errors"]
    assert {(error["field"], error["code"]) for error in errors} == {
        ("name", "REQUIRED"),
        ("slug", "INVALID_SLUG"),
        ("description", "TOO_LONG"),
        ("categoryId", "NOT_FOUND"),
    }
    assert await table_snapshot(resources) == before


async def test_customers_and_anonymous_callers_cannot_create_products(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    customer = catalog.customer()

    as_customer = await products_client.execute(
        CREATE, {"input": {"name": "Shirt"}}, token=customer.token
    )
    anonymous = await products_client.execute(CREATE, {"input": {"name": "Shirt"}})

    assert as_customer.data is None
    assert as_customer.error_codes == ["FORBIDDEN"]
    assert anonymous.error_codes == ["UNAUTHENTICATED"]
    assert await count_rows(resources, Product) == 0


async def test_staff_create_for_a_named_seller_and_must_name_one(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    staff = catalog.staff()
    seller = await catalog.seller()

    unnamed = await products_client.execute(CREATE, {"input": {"name": "X"}}, token=staff.token)
    named = await products_client.execute(
        CREATE, {"input": {"name": "X", "sellerId": str(seller.seller_id)}}, token=staff.token
    )

    assert unnamed.ok()["productCreate"]["errors"] == [
        {
            "field": "sellerId",
            "code": "REQUIRED",
            "message": "Staff must say which seller the product belongs to.",
        }
    ]
    assert named.ok()["productCreate"]["product"]["seller"] == {"id": str(seller.seller_id)}


async def test_a_seller_cannot_create_for_another_shop(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    rival = await catalog.seller()

    response = await products_client.execute(
        CREATE, {"input": {"name": "X", "sellerId": str(rival.seller_id)}}, token=seller.token
    )

    assert response.error_codes == ["FORBIDDEN"]
    assert await count_rows(resources, Product) == 0


async def test_a_seller_cannot_edit_another_sellers_product(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    owner = await catalog.seller()
    rival = await catalog.seller()
    product = await catalog.product(owner, "Linen Shirt")
    before = await table_snapshot(resources)

    update = await products_client.execute(
        UPDATE, {"id": str(product.id), "input": {"name": "Hijacked"}}, token=rival.token
    )
    archive = await products_client.execute(ARCHIVE, {"id": str(product.id)}, token=rival.token)

    for response in (update, archive):
        assert response.data is None
        assert response.error_codes == ["FORBIDDEN"]
        assert response.errors[0]["message"] == "Only the product's seller or staff can change it."
    assert await table_snapshot(resources) == before


async def test_staff_can_edit_any_product(products_client: GraphQLClient, catalog: Catalog) -> None:
    owner = await catalog.seller()
    product = await catalog.product(owner, "Linen Shirt")

    response = await products_client.execute(
        UPDATE,
        {"id": str(product.id), "input": {"name": "Linen Shirt (moderated)"}},
        token=catalog.staff().token,
    )

    assert response.ok()["productUpdate"]["product"]["name"] == "Linen Shirt (moderated)"


async def test_update_changes_the_given_fields_and_the_cache_follows(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    shirts = await catalog.category("Shirts")
    product = await catalog.product(seller, "Linen Shirt", category_id=shirts)
    # Warm the entity cache under both the id and the slug.
    await products_client.execute(PRODUCT, {"id": str(product.id)})
    await products_client.execute(PRODUCT, {"slug": "linen-shirt"})

    response = await products_client.execute(
        UPDATE,
        {
            "id": str(product.id),
            "input": {"name": "Hemp Shirt", "slug": "hemp-shirt", "categoryId": None},
        },
        token=seller.token,
    )

    assert response.ok()["productUpdate"] == {
        "product": {
            "id": str(product.id),
            "name": "Hemp Shirt",
            "slug": "hemp-shirt",
            "status": "ACTIVE",
            "category": None,
        },
        "errors": [],
    }
    by_id = await products_client.execute(PRODUCT, {"id": str(product.id)})
    old_slug = await products_client.execute(PRODUCT, {"slug": "linen-shirt"})
    new_slug = await products_client.execute(PRODUCT, {"slug": "hemp-shirt"})
    assert by_id.ok()["product"]["name"] == "Hemp Shirt"
    assert old_slug.ok()["product"] is None
    assert new_slug.ok()["product"]["id"] == str(product.id)


async def test_a_product_without_variants_cannot_be_activated(
    products_client: GraphQLClient, catalog: Catalog, resources: Resources
) -> None:
    seller = await catalog.seller()
    product = await catalog.product(seller, status="DRAFT", variants=[])

    response = await products_client.execute(
        UPDATE, {"id": str(product.id), "input": {"status": "ACTIVE"}}, token=seller.token
    )

    assert response.ok()["productUpdate"]["errors"] == [
        {
            "field": "status",
            "code": "NO_VARIANTS",
            "message": "Add at least one variant before activating a product.",
        }
    ]
    async with resources.session_factory() as session:
        assert await session.scalar(select(Product.status)) == "DRAFT"


async def test_unknown_product_is_a_payload_error(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()

    response = await products_client.execute(
        UPDATE, {"id": str(uuid.uuid4()), "input": {"name": "X"}}, token=seller.token
    )
    malformed = await products_client.execute(
        UPDATE, {"id": "not-an-id", "input": {"name": "X"}}, token=seller.token
    )

    assert response.ok()["productUpdate"]["errors"] == [
        {"field": "id", "code": "NOT_FOUND", "message": "No such product."}
    ]
    assert malformed.ok()["productUpdate"]["errors"] == [
        {"field": "id", "code": "INVALID", "message": "'not-an-id' is not a valid ID."}
    ]


async def test_archiving_keeps_the_product_reachable_but_drafts_are_private(
    products_client: GraphQLClient, catalog: Catalog
) -> None:
    seller = await catalog.seller()
    active = await catalog.product(seller, "Linen Shirt")
    draft = await catalog.product(seller, "Secret Shirt", status="DRAFT")

    archived = await products_client.execute(ARCHIVE, {"id": str(active.id)}, token=seller.token)

    assert archived.ok()["productArchive"]["product"]["status"] == "ARCHIVED"
    public = await products_client.execute(PRODUCT, {"id": str(active.id)})
    assert public.ok()["product"]["status"] == "ARCHIVED"
    hidden = await products_client.execute(PRODUCT, {"id": str(draft.id)})
    as_owner = await products_client.execute(PRODUCT, {"id": str(draft.id)}, token=seller.token)
    as_staff = await products_client.execute(
        PRODUCT, {"id": str(draft.id)}, token=catalog.staff().token
    )
    assert hidden.ok()["product"] is None
    assert as_owner.ok()["product"]["status"] == "DRAFT"
    assert as_staff.ok()["product"]["status"] == "DRAFT"


async def test_product_needs_exactly_one_of_id_and_slug(products_client: GraphQLClient) -> None:
    neither = await products_client.execute(PRODUCT, {})
    both = await products_client.execute(PRODUCT, {"id": str(uuid.uuid4()), "slug": "x"})

    for response in (neither, both):
        assert response.error_codes == ["BAD_USER_INPUT"]
        assert response.errors[0]["message"] == "`product` needs exactly one of `id` or `slug`."
