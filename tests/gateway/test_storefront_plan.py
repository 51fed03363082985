"""The storefront query over the platform's own subgraphs: one fetch per subgraph per
plan level, as `shopgraph plan` shows it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.gateways import STOREFRONT

ROOT = Path(__file__).resolve().parents[2]


def _plan(operation: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "shopgraph.cli", "plan", operation],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout


def test_shopgraph_plan_shows_one_fetch_per_subgraph_per_level() -> None:
    plan = _plan(STOREFRONT)

    # Level 1: the product page from products. Level 2: one users fetch for the shop
    # names and the review authors together.
    assert plan.count('Fetch(service: "products")') == 1, plan
    assert plan.count('Fetch(service: "users")') == 1, plan
    assert "products.edges.@.node.seller" in plan
    assert "products.edges.@.node.reviews.edges.@.node.author" in plan
    assert plan.index('service: "products"') < plan.index('service: "users"')


def test_shopgraph_plan_shows_the_interface_owner_fetch_of_an_interface_object_field() -> None:
    """Against another supergraph (the federation test topology): a root field served by
    an @interfaceObject subgraph asks the interface's owner for the concrete type."""
    supergraph = ROOT / "tests" / "federation" / "topology" / "supergraph.graphql"
    completed = subprocess.run(
        [
            *(sys.executable, "-m", "shopgraph.cli", "plan"),
            '{ accountsPreferring(warehouseId: "w1") { id ... on User { name } } }',
            *("--supergraph", str(supergraph)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    plan = completed.stdout

    assert plan.index('Fetch(service: "inventory")') < plan.index('Fetch(service: "accounts")')
    assert 'Flatten(path: "accountsPreferring.@")' in plan
    assert "... on User { name }" in plan


def test_shopgraph_plan_names_a_supergraph_it_cannot_read(tmp_path: Path) -> None:
    missing = tmp_path / "absent.graphql"
    completed = subprocess.run(
        [sys.executable, "-m", "shopgraph.cli", "plan", "{ a }", "--supergraph", str(missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert completed.returncode == 1
    assert f"cannot read the supergraph {missing}" in completed.stderr


CHECKOUT = """mutation($cart: ID!, $address: ShippingAddressInput!) {
  checkoutComplete(cartId: $cart, shippingAddress: $address, idempotencyKey: "k") {
    status order { id %s } errors { code } } }"""


def test_a_checkouts_answer_takes_the_orders_status_from_carts_which_provides_it() -> None:
    """The decision carts has just heard is the order's status: the answer needs no fetch
    from orders unless it asks for more of the order."""
    provided = _plan(CHECKOUT % "status failureReason")
    more = _plan(CHECKOUT % "status number")

    assert provided.count("Fetch(service:") == 1, provided
    assert 'Fetch(service: "carts")' in provided
    assert 'Fetch(service: "orders")' in more, more
