"""The supergraph: which subgraph can resolve what, read from join-spec directives.

The gateway runs from a supergraph SDL in the standard join-spec format, so it runs any
supergraph that Apollo's composition produces as well as the ones `shopgraph compose`
writes. From it come two things: the routing facts the planner needs (keys, field
ownership, @requires/@provides, interface and union membership per subgraph) and the
client-facing API schema (no join machinery, no @inaccessible elements) used to
validate operations and answer introspection (in graphql-js's shapes: see
`introspection.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TypeVar

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
)
from graphql.language import ListTypeNode, Node, NonNullTypeNode, TypeNode

from gateway.federation.introspection import October2021Schema

NodeT = TypeVar("NodeT", bound=Node)

JOIN_DIRECTIVES = {
    "join__graph",
    "join__type",
    "join__field",
    "join__implements",
    "join__unionMember",
    "join__enumValue",
    "join__directive",
    "join__owner",
}


class SupergraphError(ValueError):
    """The supergraph SDL is not one this gateway can run."""


@dataclass(frozen=True)
class Subgraph:
    name: str
    enum_value: str
    url: str


@dataclass(frozen=True)
class EntityKey:
    """One @key of a type in one subgraph."""

    fields: str
    selection: SelectionSetNode
    resolvable: bool


@dataclass(frozen=True)
class FieldSource:
    """How one subgraph relates to one field."""

    graph: str
    external: bool = False
    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None
    used_overridden: bool = False


@dataclass
class FieldInfo:
    name: str
    type_node: TypeNode
    # graph -> how it resolves the field; empty means "every graph defining the type".
    sources: dict[str, FieldSource] = field(default_factory=dict)
    # A bare @join__field: no graph resolves it on this type itself; it comes from an
    # @interfaceObject graph through one of the type's interfaces.
    via_interface_object: bool = False

    @property
    def named_type(self) -> str:
        node = self.type_node
        while isinstance(node, (NonNullTypeNode, ListTypeNode)):
            node = node.type
        assert isinstance(node, NamedTypeNode)
        return node.name.value


@dataclass
class TypeInfo:
    name: str
    kind: str  # "object" | "interface" | "union" | "enum" | "scalar" | "input"
    graphs: list[str] = field(default_factory=list)
    keys: dict[str, list[EntityKey]] = field(default_factory=dict)
    interface_object_graphs: set[str] = field(default_factory=set)
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    # Interfaces this object/interface implements, per graph; union members per graph.
    implements: dict[str, set[str]] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)

    @property
    def is_abstract(self) -> bool:
        return self.kind in ("interface", "union")

    @property
    def is_entity(self) -> bool:
        return any(self.keys.values())


class Supergraph:
    def __init__(self, sdl: str) -> None:
        self.sdl = sdl
        self.document = parse(sdl)
        self.subgraphs: dict[str, Subgraph] = {}
        self.types: dict[str, TypeInfo] = {}
        self.root_types: dict[str, str] = {}
        self._graph_by_enum: dict[str, str] = {}
        self._read()

    # -- reading the join directives -------------------------------------------------

    def _read(self) -> None:
        for definition in self.document.definitions:
            if isinstance(definition, SchemaDefinitionNode):
                for operation in definition.operation_types:
                    self.root_types[operation.operation.value] = operation.type.name.value
            elif (
                isinstance(definition, EnumTypeDefinitionNode)
                and definition.name.value == "join__Graph"
            ):
                for value in definition.values or ():
                    args = _directive_args(value, "join__graph")
                    if not args:
                        continue
                    name = str(args[0]["name"])
                    self.subgraphs[name] = Subgraph(name, value.name.value, str(args[0]["url"]))
                    self._graph_by_enum[value.name.value] = name
        if not self.subgraphs:
            raise SupergraphError("the supergraph declares no subgraphs (enum join__Graph)")
        self.root_types.setdefault("query", "Query")
        for definition in self.document.definitions:
            if isinstance(definition, TypeDefinitionNode) and not _is_machinery(
                definition.name.value
            ):
                self._read_type(definition)

    def _graph(self, enum_value: object) -> str:
        try:
            return self._graph_by_enum[str(enum_value)]
        except KeyError:
            raise SupergraphError(f"unknown join__Graph value {enum_value!r}") from None

    def _read_type(self, definition: TypeDefinitionNode) -> None:
        kind = {
            ObjectTypeDefinitionNode: "object",
            InterfaceTypeDefinitionNode: "interface",
            UnionTypeDefinitionNode: "union",
            EnumTypeDefinitionNode: "enum",
            ScalarTypeDefinitionNode: "scalar",
            InputObjectTypeDefinitionNode: "input",
        }.get(type(definition), "other")
        info = TypeInfo(definition.name.value, kind)
        for args in _directive_args(definition, "join__type"):
            graph = self._graph(args["graph"])
            if graph not in info.graphs:
                info.graphs.append(graph)
            if args.get("isInterfaceObject"):
                info.interface_object_graphs.add(graph)
            if "key" in args:
                key = str(args["key"])
                info.keys.setdefault(graph, []).append(
                    EntityKey(key, parse_selection(key), bool(args.get("resolvable", True)))
                )
        for args in _directive_args(definition, "join__implements"):
            info.implements.setdefault(self._graph(args["graph"]), set()).add(
                str(args["interface"])
            )
        for args in _directive_args(definition, "join__unionMember"):
            info.members.setdefault(self._graph(args["graph"]), set()).add(str(args["member"]))
        if not info.graphs and kind in ("object", "interface", "union"):
            # A type without @join__type (a root type of old supergraphs) belongs everywhere.
            info.graphs = list(self.subgraphs)
        if isinstance(definition, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode)):
            for field_node in definition.fields or ():
                info.fields[field_node.name.value] = self._read_field(field_node)
        self.types[info.name] = info

    def _read_field(self, node: FieldDefinitionNode) -> FieldInfo:
        info = FieldInfo(node.name.value, node.type)
        for args in _directive_args(node, "join__field"):
            if "graph" not in args:
                info.via_interface_object = True
                continue
            graph = self._graph(args["graph"])
            info.sources[graph] = FieldSource(
                graph=graph,
                external=bool(args.get("external", False)),
                requires=parse_selection(str(args["requires"])) if "requires" in args else None,
                provides=parse_selection(str(args["provides"])) if "provides" in args else None,
                used_overridden=bool(args.get("usedOverridden", False)),
            )
        return info

    # -- routing questions -----------------------------------------------------------

    def field(self, type_name: str, field_name: str) -> FieldInfo:
        return self.types[type_name].fields[field_name]

    def resolvers_of(self, type_name: str, field_name: str) -> list[str]:
        """The graphs that can resolve a field on their own (not external, not overridden)."""
        info = self.types[type_name]
        field_info = info.fields[field_name]
        if not field_info.sources:
            return [] if field_info.via_interface_object else list(info.graphs)
        return [
            graph
            for graph, source in field_info.sources.items()
            if not source.external and not source.used_overridden
        ]

    def can_resolve(self, graph: str, type_name: str, field_name: str) -> bool:
        return graph in self.resolvers_of(type_name, field_name)

    def knows_type(self, graph: str, type_name: str) -> bool:
        info = self.types.get(type_name)
        return info is not None and graph in info.graphs

    def possible_types(self, type_name: str, graph: str | None = None) -> list[str]:
        """Object types a value of this type can have (in one graph, or anywhere)."""
        info = self.types[type_name]
        if info.kind == "object":
            return [type_name]
        result: list[str] = []
        if info.kind == "union":
            for member_graph, members in sorted(info.members.items()):
                if graph is None or member_graph == graph:
                    result.extend(m for m in sorted(members) if m not in result)
            return result
        for candidate in self.types.values():
            if candidate.kind != "object":
                continue
            for implementing_graph, interfaces in candidate.implements.items():
                matches = graph is None or implementing_graph == graph
                if matches and type_name in interfaces and candidate.name not in result:
                    result.append(candidate.name)
        return sorted(result)

    def interfaces_of(self, type_name: str) -> list[str]:
        found: list[str] = []
        for interfaces in self.types[type_name].implements.values():
            found.extend(i for i in sorted(interfaces) if i not in found)
        return found

    def resolvable_key(self, type_name: str, target: str) -> EntityKey | None:
        return next((k for k in self.types[type_name].keys.get(target, []) if k.resolvable), None)

    def keys_for_jump(self, type_name: str, source: str, target: str) -> EntityKey | None:
        """A key resolvable in `target` whose fields `source` can provide, if any."""
        info = self.types[type_name]
        for key in info.keys.get(target, []):
            if key.resolvable and self.provides_fields(source, type_name, key.selection):
                return key
        return None

    def provides_fields(self, graph: str, type_name: str, selection: SelectionSetNode) -> bool:
        """Whether a graph returns these fields with the entity (key fields included)."""
        from graphql import FieldNode

        for node in selection.selections:
            assert isinstance(node, FieldNode)
            name = node.name.value
            if name == "__typename":
                continue
            info = self.types[type_name]
            if name not in info.fields:
                return False
            field_info = info.fields[name]
            # Key fields may be @external in the source graph (they come with the entity).
            if field_info.sources and graph not in field_info.sources:
                return False
            if not field_info.sources and graph not in info.graphs:
                return False
            if node.selection_set is not None and not self.provides_fields(
                graph, field_info.named_type, node.selection_set
            ):
                return False
        return True

    @cached_property
    def api_schema(self) -> GraphQLSchema:
        """The client-facing schema; it introspects as graphql-js does (October 2021)."""
        built = build_ast_schema(api_schema_document(self.document), assume_valid_sdl=True)
        return October2021Schema(built)


# -- helpers --------------------------------------------------------------------------


def parse_selection(fields: str) -> SelectionSetNode:
    """Parse a FieldSet ("id organization { id }") into a selection set."""
    operation = parse("{" + fields + "}").definitions[0]
    selection_set = getattr(operation, "selection_set", None)
    assert isinstance(selection_set, SelectionSetNode)
    return selection_set


def _value(node: object) -> object:
    if isinstance(node, (StringValueNode, EnumValueNode)):
        return node.value
    if isinstance(node, BooleanValueNode):
        return node.value
    return getattr(node, "value", None)


def _directive_args(node: object, name: str) -> list[dict[str, object]]:
    directives: Iterable[DirectiveNode] = getattr(node, "directives", None) or ()
    found = []
    for directive in directives:
        if directive.name.value == name:
            arguments: Iterable[ArgumentNode] = directive.arguments or ()
            found.append({arg.name.value: _value(arg.value) for arg in arguments})
    return found


def _is_machinery(name: str) -> bool:
    return name.startswith(("join__", "link__")) or name in ("_Any", "_Entity", "_Service")


def _is_inaccessible(node: object) -> bool:
    directives: Iterable[DirectiveNode] = getattr(node, "directives", None) or ()
    return any(directive.name.value == "inaccessible" for directive in directives)


def _strip(node: NodeT) -> NodeT:
    """A copy of a definition without join/link/inaccessible directives."""
    directives: Iterable[DirectiveNode] = getattr(node, "directives", None) or ()
    kept = tuple(
        directive
        for directive in directives
        if directive.name.value not in JOIN_DIRECTIVES
        and directive.name.value not in ("link", "inaccessible", "tag")
    )
    updated: NodeT = replace(node, directives=kept)  # type: ignore[call-arg]
    return updated


_REMOVED_DIRECTIVE_DEFINITIONS = JOIN_DIRECTIVES | {"link", "inaccessible", "tag"}


def api_schema_document(document: DocumentNode) -> DocumentNode:
    """The client-facing schema: no join machinery, no @inaccessible elements."""
    hidden = {
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, TypeDefinitionNode)
        and (_is_inaccessible(definition) or _is_machinery(definition.name.value))
    }
    definitions: list[DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            if definition.name.value not in _REMOVED_DIRECTIVE_DEFINITIONS:
                definitions.append(definition)
        elif isinstance(definition, SchemaDefinitionNode):
            definitions.append(_strip(definition))
        elif isinstance(definition, TypeDefinitionNode) and definition.name.value not in hidden:
            definitions.append(_api_type(definition, hidden))
    return DocumentNode(definitions=tuple(definitions))


def _api_type(definition: TypeDefinitionNode, hidden: set[str]) -> TypeDefinitionNode:
    stripped = _strip(definition)
    if isinstance(stripped, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode)):
        fields = tuple(
            _api_field(field_node)
            for field_node in stripped.fields or ()
            if not _is_inaccessible(field_node) and _named(field_node.type) not in hidden
        )
        interfaces = tuple(i for i in stripped.interfaces or () if i.name.value not in hidden)
        return replace(stripped, fields=fields, interfaces=interfaces)
    if isinstance(stripped, InputObjectTypeDefinitionNode):
        values = tuple(_strip(v) for v in stripped.fields or () if not _is_inaccessible(v))
        return replace(stripped, fields=values)
    if isinstance(stripped, EnumTypeDefinitionNode):
        enum_values = tuple(_strip(v) for v in stripped.values or () if not _is_inaccessible(v))
        return replace(stripped, values=enum_values)
    if isinstance(stripped, UnionTypeDefinitionNode):
        members = tuple(m for m in stripped.types or () if m.name.value not in hidden)
        return replace(stripped, types=members)
    return stripped


def _api_field(node: FieldDefinitionNode) -> FieldDefinitionNode:
    arguments = tuple(_strip(a) for a in node.arguments or () if not _is_inaccessible(a))
    return replace(_strip(node), arguments=arguments)


def _named(node: TypeNode) -> str:
    while isinstance(node, (NonNullTypeNode, ListTypeNode)):
        node = node.type
    assert isinstance(node, NamedTypeNode)
    return node.name.value
