"""Plans for shapes the differential corpus does not pin down exactly."""

from __future__ import annotations

from graphql import parse

from gateway.federation.composition import compose
from gateway.federation.plan import FetchNode
from gateway.federation.plan_printer import print_plan
from gateway.federation.planner import QueryPlanner
from gateway.federation.supergraph import Supergraph

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", '
    '"@shareable", "@external", "@requires", "@provides"])\n'
)


def _planner(**sdls: str) -> QueryPlanner:
    supergraph = Supergraph(
        compose({name: (f"http://{name}.invalid/graphql", sdl) for name, sdl in sdls.items()})
    )
    return QueryPlanner(supergraph)


def _fetches(plan_node: object) -> list[FetchNode]:
    if isinstance(plan_node, FetchNode):
        return [plan_node]
    return [f for child in getattr(plan_node, "nodes", []) for f in _fetches(child)]


def test_requires_uses_a_value_provided_on_the_way_in() -> None:
    planner = _planner(
        users=LINK + 'type Query { me: User } type User @key(fields: "email") { email: ID! '
        "totalProductsCreated: Int @shareable yearsOfEmployment: Int! }",
        inventory=LINK + 'type User @key(fields: "email") { email: ID! '
        "totalProductsCreated: Int @external yearsOfEmployment: Int! @external "
        'average: Int @requires(fields: "totalProductsCreated yearsOfEmployment") }',
        products=LINK + 'type Query { product: Product } type Product @key(fields: "id") { id: ID! '
        'createdBy: User @provides(fields: "totalProductsCreated") }\n'
        'type User @key(fields: "email") { email: ID! totalProductsCreated: Int @external }',
    )

    plan = planner.plan(parse("{ product { createdBy { average totalProductsCreated } } }"))

    fetches = _fetches(plan.node)
    text = print_plan(plan)
    # products gives totalProductsCreated itself (it @provides it); only the field it
    # does not have is fetched from users, and inventory gets both in representations.
    assert [f.subgraph for f in fetches] == ["products", "users", "inventory"], text
    assert "totalProductsCreated" in fetches[0].document
    assert "totalProductsCreated" not in fetches[1].document
    assert "yearsOfEmployment" in fetches[1].document
    assert {f.name for f in fetches[2].inputs["User"]} == {
        "__typename",
        "email",
        "totalProductsCreated",
        "yearsOfEmployment",
    }


def test_one_fetch_per_subgraph_per_level_for_two_paths() -> None:
    planner = _planner(
        users=LINK
        + 'type Query { me: User } type User @key(fields: "id") { id: ID! name: String }',
        products=LINK
        + 'type Query { products: [Product!]! } type Product @key(fields: "id") { id: ID! '
        "seller: User reviews: [Review!]! } "
        'type Review @key(fields: "id") { id: ID! author: User }\n'
        'type User @key(fields: "id", resolvable: false) { id: ID! }',
    )

    plan = planner.plan(parse("{ products { seller { name } reviews { author { name } } } }"))

    fetches = _fetches(plan.node)
    assert [f.subgraph for f in fetches] == ["products", "users"]
    assert [t.path for t in fetches[1].targets] == [
        ("products", "@", "seller"),
        ("products", "@", "reviews", "@", "author"),
    ]


IO_LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", '
    '"@interfaceObject"])\n'
)


def _media_planner() -> QueryPlanner:
    return _planner(
        catalog=IO_LINK + 'interface Media @key(fields: "id") { id: ID! title: String! } '
        'type Book implements Media @key(fields: "id") { id: ID! title: String! pages: Int! } '
        'type Film implements Media @key(fields: "id") { id: ID! title: String! minutes: Int! } '
        "type Query { media: [Media!]! }",
        shelf=IO_LINK + 'type Media @key(fields: "id") @interfaceObject { id: ID! shelf: Int! } '
        "type Query { shelved: [Media!]! }",
    )


def test_interface_object_root_field_asks_the_owner_for_the_concrete_type() -> None:
    plan = _media_planner().plan(
        parse(
            "{ shelved { shelf kind: __typename ... on Book { pages } ... on Film { t: title } } }"
        )
    )

    fetches = _fetches(plan.node)
    text = print_plan(plan)
    assert [f.subgraph for f in fetches] == ["shelf", "catalog"], text
    assert "shelved { __typename id shelf }" in fetches[0].document
    assert fetches[1].targets[0].path == ("shelved", "@")
    assert fetches[1].targets[0].accepts == {"Media": "Media"}
    owner_selection = (
        "... on Media { __typename kind: __typename "
        "... on Book { pages } ... on Film { t: title } }"
    )
    assert owner_selection in fetches[1].document
    assert 'Flatten(path: "shelved.@")' in text


def test_interface_object_field_needing_no_concrete_type_stays_in_one_fetch() -> None:
    plan = _media_planner().plan(parse("{ shelved { id shelf ... on Media { shelf } } }"))

    fetches = _fetches(plan.node)
    assert [f.subgraph for f in fetches] == ["shelf"]
    assert "shelved { id shelf }" in fetches[0].document
