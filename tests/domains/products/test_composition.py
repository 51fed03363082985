"""The committed products SDL is current, and composes with the users subgraph under
Apollo's own `@apollo/composition`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shopgraph.contracts import subgraph_sdl
from tests.support.apollo import compose_with_apollo

SUBGRAPHS = Path(__file__).resolve().parents[3] / "schema" / "subgraphs"


def test_the_committed_products_sdl_matches_the_code() -> None:
    committed = (SUBGRAPHS / "products.graphql").read_text()

    assert committed == subgraph_sdl("products"), (
        "schema/subgraphs/products.graphql is stale: run `shopgraph export-schema`"
    )


@pytest.mark.slow
def test_products_composes_with_users_under_apollo() -> None:
    result = compose_with_apollo(
        {
            "users": (SUBGRAPHS / "users.graphql").read_text(),
            "products": (SUBGRAPHS / "products.graphql").read_text(),
        }
    )

    assert result.ok, result.report()
    assert "INCONSISTENT" not in result.report(), result.report()
    assert result.supergraph_sdl is not None
    assert result.api_schema_sdl is not None
    # The entities it owns are joined on their keys; the users entities it extends are
    # resolvable by both subgraphs, so the planner can fetch products and reviews here.
    assert _joins(result.supergraph_sdl, "Product") == ['graph: PRODUCTS, key: "id"']
    assert _joins(result.supergraph_sdl, "ProductVariant") == [
        'graph: PRODUCTS, key: "id"',
        'graph: PRODUCTS, key: "sku"',
    ]
    assert _joins(result.supergraph_sdl, "Category") == ['graph: PRODUCTS, key: "id"']
    assert _joins(result.supergraph_sdl, "Review") == ['graph: PRODUCTS, key: "id"']
    for extended, field in (("User", "reviews("), ("SellerProfile", "products(")):
        assert _joins(result.supergraph_sdl, extended) == [
            'graph: PRODUCTS, key: "id"',
            'graph: USERS, key: "id"',
        ]
        assert field in _body(result.api_schema_sdl, extended)


def _joins(supergraph: str, type_name: str) -> list[str]:
    header = supergraph.split(f"\ntype {type_name}\n", 1)[1].split("{", 1)[0]
    return re.findall(r"@join__type\((.*)\)", header)


def _body(schema: str, type_name: str) -> str:
    return schema.split(f"type {type_name} ", 1)[1].split("\n}", 1)[0]
