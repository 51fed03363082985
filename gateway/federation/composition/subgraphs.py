"""A subgraph's SDL read into what composition needs: its types, fields, directives
and @key field sets, with federation's own definitions left out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    FieldNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    SelectionSetNode,
    StringValueNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
)
from graphql.language import ConstValueNode, ObjectValueNode

from gateway.federation.supergraph import parse_selection

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}
FEDERATION_TYPES = {"_Any", "_Entity", "_Service", "FieldSet", "link__Import", "link__Purpose"}
FEDERATION_DIRECTIVES = {
    "key",
    "shareable",
    "external",
    "requires",
    "provides",
    "override",
    "inaccessible",
    "tag",
    "extends",
    "interfaceObject",
    "composeDirective",
    "link",
    "authenticated",
    "requiresScopes",
    "policy",
    "cost",
    "listSize",
    "context",
    "fromContext",
}
ROOT_FIELDS_OF_FEDERATION = {"_service", "_entities"}


@dataclass
class SubgraphField:
    name: str
    type_node: TypeNode
    description: StringValueNode | None
    arguments: tuple[InputValueDefinitionNode, ...]
    directives: dict[str, list[DirectiveNode]]
    default_value: ConstValueNode | None = None

    def has(self, directive: str) -> bool:
        return directive in self.directives

    def argument(self, directive: str, name: str) -> str | None:
        for node in self.directives.get(directive, []):
            for argument in node.arguments or ():
                if argument.name.value == name and isinstance(argument.value, StringValueNode):
                    return argument.value.value
        return None


@dataclass
class SubgraphType:
    name: str
    kind: str
    description: StringValueNode | None = None
    fields: dict[str, SubgraphField] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: list[tuple[str, StringValueNode | None, dict[str, list[DirectiveNode]]]] = field(
        default_factory=list
    )
    directives: dict[str, list[DirectiveNode]] = field(default_factory=dict)

    is_extension: bool = False

    @property
    def is_interface_object(self) -> bool:
        return "interfaceObject" in self.directives

    def is_key_field(self, field_name: str) -> bool:
        return any(field_name in fieldset_names(fields) for fields, _ in self.entity_keys())

    def is_external(self, field_info: SubgraphField) -> bool:
        """@external, except on a key field of an extension: there the subgraph does
        resolve the field itself (federation 1 style), and composition ignores it."""
        if not field_info.has("external"):
            return False
        return not (
            (self.is_extension or "extends" in self.directives)
            and self.is_key_field(field_info.name)
        )

    def entity_keys(self) -> list[tuple[str, bool]]:
        found = []
        for node in self.directives.get("key", []):
            fields, resolvable = "", True
            for argument in node.arguments or ():
                if argument.name.value == "fields" and isinstance(argument.value, StringValueNode):
                    fields = argument.value.value
                if argument.name.value == "resolvable" and isinstance(
                    argument.value, BooleanValueNode
                ):
                    resolvable = argument.value.value
            found.append((fields, resolvable))
        return found


@dataclass
class SubgraphSchema:
    name: str
    url: str
    types: dict[str, SubgraphType]
    root_names: dict[str, str]

    @property
    def enum_value(self) -> str:
        return "".join(c if c.isalnum() else "_" for c in self.name).upper()


_KINDS = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
    ScalarTypeDefinitionNode: "scalar",
    ScalarTypeExtensionNode: "scalar",
    InputObjectTypeDefinitionNode: "input",
    InputObjectTypeExtensionNode: "input",
}


def _directive_map(
    nodes: Iterable[DirectiveNode] | None, renames: Mapping[str, str]
) -> dict[str, list[DirectiveNode]]:
    found: dict[str, list[DirectiveNode]] = {}
    for node in nodes or ():
        name = renames.get(node.name.value, node.name.value)
        if name.startswith("federation__"):
            name = name.removeprefix("federation__")
        found.setdefault(name, []).append(node)
    return found


def _link_renames(document: DocumentNode) -> dict[str, str]:
    """Map imported directive aliases (`{name: "@key", as: "@primaryKey"}`) back."""
    renames: dict[str, str] = {}
    for definition in document.definitions:
        if not isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "link":
                continue
            for argument in directive.arguments or ():
                if argument.name.value != "import" or not isinstance(argument.value, ListValueNode):
                    continue
                for item in argument.value.values:
                    if isinstance(item, ObjectValueNode):
                        values = {f.name.value: getattr(f.value, "value", "") for f in item.fields}
                        if "name" in values and "as" in values:
                            renames[str(values["as"]).lstrip("@")] = str(values["name"]).lstrip("@")
    return renames


def read_subgraph(name: str, url: str, sdl: str) -> SubgraphSchema:
    document = parse(sdl)
    renames = _link_renames(document)
    types: dict[str, SubgraphType] = {}
    root_names = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
    for definition in document.definitions:
        if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
            for operation in definition.operation_types or ():
                root_names[operation.operation.value] = operation.type.name.value
            continue
        kind = _KINDS.get(type(definition))
        if kind is None:
            continue
        type_name = definition.name.value  # type: ignore[attr-defined]
        if type_name in FEDERATION_TYPES or type_name.startswith(("link__", "federation__")):
            continue
        info = types.setdefault(type_name, SubgraphType(type_name, kind))
        info.description = info.description or getattr(definition, "description", None)
        if type(definition).__name__.endswith("ExtensionNode"):
            info.is_extension = True
        for directive_name, nodes in _directive_map(
            getattr(definition, "directives", None), renames
        ).items():
            info.directives.setdefault(directive_name, []).extend(nodes)
        for interface in getattr(definition, "interfaces", None) or ():
            info.interfaces.append(interface.name.value)
        for member in getattr(definition, "types", None) or ():
            info.members.append(member.name.value)
        for value in getattr(definition, "values", None) or ():
            info.values.append(
                (value.name.value, value.description, _directive_map(value.directives, renames))
            )
        for field_node in getattr(definition, "fields", None) or ():
            if isinstance(field_node, FieldDefinitionNode):
                if field_node.name.value in ROOT_FIELDS_OF_FEDERATION:
                    continue
                info.fields[field_node.name.value] = SubgraphField(
                    field_node.name.value,
                    field_node.type,
                    field_node.description,
                    tuple(field_node.arguments or ()),
                    _directive_map(field_node.directives, renames),
                )
            elif isinstance(field_node, InputValueDefinitionNode):
                info.fields[field_node.name.value] = SubgraphField(
                    field_node.name.value,
                    field_node.type,
                    field_node.description,
                    (),
                    _directive_map(field_node.directives, renames),
                    field_node.default_value,
                )
    # Root types are named Query/Mutation in the supergraph whatever a subgraph calls them.
    for operation_kind, root in root_names.items():
        default = operation_kind.capitalize()
        if root != default and root in types:
            types[default] = types.pop(root)
            types[default].name = default
    # Entity _Entity unions and empty Query types left by federation libraries.
    for root in ("Query", "Mutation", "Subscription"):
        if root in types and not types[root].fields:
            del types[root]
    return SubgraphSchema(name, url, types, root_names)


def named_type(node: TypeNode) -> str:
    while isinstance(node, (NonNullTypeNode, ListTypeNode)):
        node = node.type
    assert isinstance(node, NamedTypeNode)
    return node.name.value


def field_names(selection: SelectionSetNode) -> list[tuple[str, SelectionSetNode | None]]:
    return [
        (node.name.value, node.selection_set)
        for node in selection.selections
        if isinstance(node, FieldNode)
    ]


def fieldset_names(fields: str) -> set[str]:
    """The top-level field names of a field set (`"id owner { id }"` -> id, owner)."""
    return {name for name, _ in field_names(parse_selection(fields))}


def is_overridden(
    subgraphs: list[SubgraphSchema], subgraph: SubgraphSchema, type_name: str, field_name: str
) -> bool:
    """Whether another subgraph takes this field over from `subgraph` with @override."""
    for other in subgraphs:
        info = other.types.get(type_name)
        if other is subgraph or info is None or field_name not in info.fields:
            continue
        if info.fields[field_name].argument("override", "from") == subgraph.name:
            return True
    return False
