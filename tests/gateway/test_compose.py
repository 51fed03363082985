"""Our composition against the rules, and against Apollo's own composition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import lexicographic_sort_schema, print_schema

from gateway.federation.composition import CompositionError, compose
from gateway.federation.supergraph import Supergraph
from shopgraph.registry import DOMAINS
from tests.support.apollo import compose_with_apollo

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", '
    '"@shareable", "@external", "@requires", "@provides", "@override", "@inaccessible"])\n'
)
USER_A = 'type Query { a: User } type User @key(fields: "id") { id: ID! name: String @shareable }'
USER_B = 'type Query { b: User } type User @key(fields: "id") { id: ID! name: String @shareable }'


def _compose(**sdls: str) -> str:
    return compose(
        {name: (f"http://{name}.invalid/graphql", LINK + sdl) for name, sdl in sdls.items()}
    )


def facts(supergraph: Supergraph) -> dict[str, Any]:
    """Everything the gateway routes by, in a comparable form."""
    found: dict[str, Any] = {"subgraphs": sorted(supergraph.subgraphs)}
    for name, info in sorted(supergraph.types.items()):
        found[name] = {
            "kind": info.kind,
            "graphs": sorted(info.graphs),
            "keys": {
                g: sorted((k.fields, k.resolvable) for k in ks) for g, ks in info.keys.items()
            },
            "implements": {g: sorted(v) for g, v in info.implements.items()},
            "members": {g: sorted(v) for g, v in info.members.items()},
            "fields": {
                f: (
                    field.via_interface_object,
                    *sorted(
                        (
                            g,
                            s.external,
                            s.requires is not None,
                            s.provides is not None,
                            s.used_overridden,
                        )
                        for g, s in field.sources.items()
                    ),
                )
                for f, field in info.fields.items()
            },
        }
    return found


def api(supergraph: Supergraph) -> str:
    return print_schema(lexicographic_sort_schema(supergraph.api_schema))


@pytest.mark.slow
def test_our_composition_equals_apollos_for_our_subgraphs() -> None:
    sdls = {e.name: (SCHEMA_DIR / "subgraphs" / f"{e.name}.graphql").read_text() for e in DOMAINS}
    apollo = compose_with_apollo(sdls)
    assert apollo.ok, apollo.report()
    assert apollo.supergraph_sdl is not None

    ours = Supergraph(compose({n: (f"http://{n}.invalid/graphql", s) for n, s in sdls.items()}))
    theirs = Supergraph(apollo.supergraph_sdl)

    assert facts(ours) == facts(theirs)
    assert api(ours) == api(theirs)


def test_a_field_resolved_by_two_subgraphs_must_be_shareable() -> None:
    with pytest.raises(CompositionError) as raised:
        _compose(
            a='type Query { a: User } type User @key(fields: "id") { id: ID! name: String }',
            b='type Query { b: User } type User @key(fields: "id") { id: ID! name: String }',
        )

    assert raised.value.errors == [
        'Non-shareable field "User.name" is resolved from multiple subgraphs: it is resolved '
        "from subgraphs \"a\" and \"b\" and defined as non-shareable in 'a', 'b'."
    ]


def test_shareable_and_key_fields_may_be_resolved_twice() -> None:
    supergraph = Supergraph(_compose(a=USER_A, b=USER_B))

    assert supergraph.resolvers_of("User", "name") == ["a", "b"]
    assert supergraph.resolvers_of("User", "id") == ["a", "b"]


def test_a_key_naming_a_missing_field_names_subgraph_type_and_field() -> None:
    with pytest.raises(CompositionError) as raised:
        _compose(a='type Query { a: User } type User @key(fields: "sku") { id: ID! }')

    assert raised.value.errors == [
        '[a] User: @key(fields: "sku") names "User.sku", which is not defined in subgraph "a".'
    ]


def test_requires_must_name_external_fields() -> None:
    with pytest.raises(CompositionError) as raised:
        _compose(
            a='type Query { a: Product } type Product @key(fields: "id") { id: ID! weight: Int }',
            b='type Product @key(fields: "id") { id: ID! weight: Int @shareable '
            'shipping: Int @requires(fields: "weight") }',
        )

    assert any(
        error == '[b] Product.shipping: @requires names "Product.weight", which must be marked '
        '@external in subgraph "b".'
        for error in raised.value.errors
    )


def test_an_unused_external_field_is_an_error() -> None:
    with pytest.raises(CompositionError) as raised:
        _compose(
            a='type Query { a: Product } type Product @key(fields: "id") { id: ID! weight: Int }',
            b="type Query { b: Int } "
            'type Product @key(fields: "id") { id: ID! weight: Int @external }',
        )

    assert raised.value.errors == [
        "[b] Product.weight: field is marked @external but is not used by any @key, @requires "
        'or @provides in subgraph "b".'
    ]


def test_provides_must_return_an_entity() -> None:
    with pytest.raises(CompositionError) as raised:
        _compose(
            a='type Query { a: Box @provides(fields: "size") } type Box { size: Int }',
        )

    assert raised.value.errors[0] == (
        "[a] Query.a: @provides is only allowed on fields returning an entity, "
        'but "Box" has no @key.'
    )


def test_a_type_has_one_kind() -> None:
    with pytest.raises(CompositionError) as raised:
        _compose(
            a="type Query { a: Thing } type Thing { x: Int }",
            b="type Query { b: Int } enum Thing { X }",
        )

    assert 'Type "Thing" has different kinds: object in "a", enum in "b".' in raised.value.errors


def test_override_moves_a_field_and_inaccessible_hides_it_from_the_api() -> None:
    supergraph = Supergraph(
        _compose(
            a="type Query { a: User } "
            'type User @key(fields: "id") { id: ID! name: String secret: String @inaccessible }',
            b='type User @key(fields: "id") { id: ID! name: String @override(from: "a") }',
        )
    )

    assert supergraph.resolvers_of("User", "name") == ["b"]
    assert "secret" not in supergraph.api_schema.type_map["User"].fields  # type: ignore[attr-defined]
    assert "secret" in supergraph.types["User"].fields


@pytest.mark.slow
def test_extensions_deprecations_and_tags_compose_as_apollo_does() -> None:
    """A federation-1-style `extend type` with an @external key field (which the subgraph
    does resolve), @deprecated and @tag: the cases Apollo's compatibility suite uses."""
    link = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: '
        '["@key", "@external", "@requires", "@tag", "@shareable"])\n'
    )
    sdls = {
        "users": link + 'type Query { me: User } type User @key(fields: "email") '
        "{ email: ID! name: String yearsOfEmployment: Int! }",
        "products": link + "type Query { product(id: ID!): Product "
        'oldProduct: Product @deprecated(reason: "use product") }\n'
        'type Product @key(fields: "id") { id: ID! notes: String @tag(name: "internal") '
        "createdBy: User }\n"
        'extend type User @key(fields: "email") { email: ID! @external '
        'averagePerYear: Int @requires(fields: "yearsOfEmployment") '
        "yearsOfEmployment: Int! @external }\n"
        'enum Size { SMALL LARGE @deprecated(reason: "gone") }\n'
        "extend type Query { sizes: [Size!]! }",
    }
    apollo = compose_with_apollo(sdls)
    assert apollo.ok, apollo.report()
    assert apollo.supergraph_sdl is not None

    ours_sdl = compose({n: (f"http://{n}.invalid/graphql", s) for n, s in sdls.items()})
    ours, theirs = Supergraph(ours_sdl), Supergraph(apollo.supergraph_sdl)

    assert facts(ours) == facts(theirs)
    assert api(ours) == api(theirs)
    assert '@tag(name: "internal")' in ours_sdl
    # The key field resolves in products too: no jump is needed to read it.
    assert sorted(ours.resolvers_of("User", "email")) == ["products", "users"]
