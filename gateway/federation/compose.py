"""Composition: subgraph SDLs -> a supergraph SDL in the join-spec format.

It checks the federation rules this platform relies on, with errors that name the
subgraph, type and field, and writes the same join directives Apollo's composition
writes (a test checks the two agree on our subgraphs), so the gateway runs either.

Rules checked:
- a @key, @requires or @provides field set names fields that exist;
- a field resolved by several subgraphs is @shareable in each (key fields and
  @external fields excepted), unless one of them takes it over with @override;
- @external fields are used by a @key, @requires or @provides of their subgraph;
- @requires names only @external fields; @provides is on a field returning an entity
  and names fields that are @external in that subgraph;
- a type has one kind everywhere, and a field one type (up to nullability).
"""

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
    print_ast,
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


class CompositionError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class _Field:
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
class _Type:
    name: str
    kind: str
    description: StringValueNode | None = None
    fields: dict[str, _Field] = field(default_factory=dict)
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
        return any(
            field_name in {n for n, _ in _field_names(parse_selection(fields))}
            for fields, _ in self.entity_keys()
        )

    def is_external(self, field_info: _Field) -> bool:
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
class _Subgraph:
    name: str
    url: str
    types: dict[str, _Type]
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


def _read_subgraph(name: str, url: str, sdl: str) -> _Subgraph:
    document = parse(sdl)
    renames = _link_renames(document)
    types: dict[str, _Type] = {}
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
        info = types.setdefault(type_name, _Type(type_name, kind))
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
                info.fields[field_node.name.value] = _Field(
                    field_node.name.value,
                    field_node.type,
                    field_node.description,
                    tuple(field_node.arguments or ()),
                    _directive_map(field_node.directives, renames),
                )
            elif isinstance(field_node, InputValueDefinitionNode):
                info.fields[field_node.name.value] = _Field(
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
    return _Subgraph(name, url, types, root_names)


def _named(node: TypeNode) -> str:
    while isinstance(node, (NonNullTypeNode, ListTypeNode)):
        node = node.type
    assert isinstance(node, NamedTypeNode)
    return node.name.value


def _strip_non_null(node: TypeNode) -> str:
    return print_ast(node).replace("!", "")


def _field_names(selection: SelectionSetNode) -> list[tuple[str, SelectionSetNode | None]]:
    return [
        (node.name.value, node.selection_set)
        for node in selection.selections
        if isinstance(node, FieldNode)
    ]


class _Composer:
    def __init__(self, subgraphs: list[_Subgraph]) -> None:
        # Apollo's composition visits subgraphs by name; so do we, so that field order
        # in the supergraph (and so in introspection) is the same.
        self.subgraphs = sorted(subgraphs, key=lambda subgraph: subgraph.name)
        self.errors: list[str] = []

    # -- validation --------------------------------------------------------------------

    def validate(self) -> None:
        for subgraph in self.subgraphs:
            self._validate_subgraph(subgraph)
        self._validate_kinds()
        self._validate_sharing()
        if self.errors:
            raise CompositionError(self.errors)

    def _validate_fieldset(
        self, subgraph: _Subgraph, type_name: str, fields: str, directive: str, where: str
    ) -> list[str]:
        """Names of the top-level fields of a field set; records errors for unknown ones."""
        try:
            selection = parse_selection(fields)
        except Exception:
            self.errors.append(
                f'[{subgraph.name}] {where}: invalid field set "{fields}" in @{directive}.'
            )
            return []
        names = []
        self._check_fields(subgraph, type_name, selection, directive, where, fields)
        for name, _ in _field_names(selection):
            names.append(name)
        return names

    def _check_fields(
        self,
        subgraph: _Subgraph,
        type_name: str,
        selection: SelectionSetNode,
        directive: str,
        where: str,
        fields: str,
    ) -> None:
        info = subgraph.types.get(type_name)
        for name, nested in _field_names(selection):
            if name == "__typename":
                continue
            if info is None or name not in info.fields:
                self.errors.append(
                    f'[{subgraph.name}] {where}: @{directive}(fields: "{fields}") names '
                    f'"{type_name}.{name}", which is not defined in subgraph "{subgraph.name}".'
                )
                continue
            if nested is not None:
                self._check_fields(
                    subgraph, _named(info.fields[name].type_node), nested, directive, where, fields
                )

    def _validate_subgraph(self, subgraph: _Subgraph) -> None:
        for type_info in subgraph.types.values():
            used_external: set[str] = set()
            for fields, _resolvable in type_info.entity_keys():
                used_external.update(
                    self._validate_fieldset(subgraph, type_info.name, fields, "key", type_info.name)
                )
            for field_info in type_info.fields.values():
                where = f"{type_info.name}.{field_info.name}"
                requires = field_info.argument("requires", "fields")
                if requires is not None:
                    for name in self._validate_fieldset(
                        subgraph, type_info.name, requires, "requires", where
                    ):
                        used_external.add(name)
                        required = type_info.fields.get(name)
                        if required is not None and not required.has("external"):
                            self.errors.append(
                                f"[{subgraph.name}] {where}: @requires names "
                                f'"{type_info.name}.{name}", which must be marked @external in '
                                f'subgraph "{subgraph.name}".'
                            )
                provides = field_info.argument("provides", "fields")
                if provides is not None:
                    target_name = _named(field_info.type_node)
                    target = subgraph.types.get(target_name)
                    if target is None or not target.entity_keys():
                        self.errors.append(
                            f"[{subgraph.name}] {where}: @provides is only allowed on fields "
                            f'returning an entity, but "{target_name}" has no @key.'
                        )
                    else:
                        for name in self._validate_fieldset(
                            subgraph, target_name, provides, "provides", where
                        ):
                            provided = target.fields.get(name)
                            if provided is not None and not provided.has("external"):
                                self.errors.append(
                                    f"[{subgraph.name}] {where}: @provides names "
                                    f'"{target_name}.{name}", which must be marked @external in '
                                    f'subgraph "{subgraph.name}".'
                                )
            for field_info in type_info.fields.values():
                unused = type_info.is_external(field_info) and field_info.name not in used_external
                if unused and not self._provided_anywhere(
                    subgraph, type_info.name, field_info.name
                ):
                    self.errors.append(
                        f"[{subgraph.name}] {type_info.name}.{field_info.name}: field is "
                        "marked @external but is not used by any @key, @requires or @provides "
                        f'in subgraph "{subgraph.name}".'
                    )

    def _provided_anywhere(self, subgraph: _Subgraph, type_name: str, field_name: str) -> bool:
        for type_info in subgraph.types.values():
            for field_info in type_info.fields.values():
                provides = field_info.argument("provides", "fields")
                if (
                    provides
                    and _named(field_info.type_node) == type_name
                    and field_name in {n for n, _ in _field_names(parse_selection(provides))}
                ):
                    return True
        return False

    def _validate_kinds(self) -> None:
        kinds: dict[str, dict[str, str]] = {}
        for subgraph in self.subgraphs:
            for type_info in subgraph.types.values():
                # An @interfaceObject is the interface, seen as an object by one subgraph.
                kind = "interface" if type_info.is_interface_object else type_info.kind
                kinds.setdefault(type_info.name, {})[subgraph.name] = kind
        for type_name, by_subgraph in kinds.items():
            if len(set(by_subgraph.values())) > 1:
                described = ", ".join(f'{kind} in "{name}"' for name, kind in by_subgraph.items())
                self.errors.append(f'Type "{type_name}" has different kinds: {described}.')

    def _validate_sharing(self) -> None:
        definitions: dict[tuple[str, str], list[tuple[_Subgraph, _Type, _Field]]] = {}
        for subgraph in self.subgraphs:
            for type_info in subgraph.types.values():
                if type_info.kind not in ("object",):
                    continue
                for field_info in type_info.fields.values():
                    definitions.setdefault((type_info.name, field_info.name), []).append(
                        (subgraph, type_info, field_info)
                    )
        for (type_name, field_name), owners in definitions.items():
            types = {_strip_non_null(f.type_node) for _, _, f in owners}
            if len(types) > 1:
                described = ", ".join(
                    f'"{print_ast(f.type_node)}" in "{s.name}"' for s, _, f in owners
                )
                self.errors.append(
                    f'Field "{type_name}.{field_name}" has incompatible types: {described}.'
                )
            resolving = [
                (s, t, f)
                for s, t, f in owners
                if not t.is_external(f) and not self._overridden(s, type_name, field_name)
            ]
            if len(resolving) < 2:
                continue
            if type_name in ("Query", "Mutation") and all(
                self._shareable(t, f) for _, t, f in resolving
            ):
                continue
            unshared = [
                s.name
                for s, t, f in resolving
                if not self._shareable(t, f) and not self._is_key_field(t, field_name)
            ]
            if unshared:
                names = " and ".join(f'"{s.name}"' for s, _, _ in resolving)
                self.errors.append(
                    f'Non-shareable field "{type_name}.{field_name}" is resolved from multiple '
                    f"subgraphs: it is resolved from subgraphs {names} and defined as "
                    f"non-shareable in {', '.join(repr(n) for n in unshared)}."
                )

    def _shareable(self, type_info: _Type, field_info: _Field) -> bool:
        return field_info.has("shareable") or type_info.directives.get("shareable") is not None

    def _is_key_field(self, type_info: _Type, field_name: str) -> bool:
        return any(
            field_name in {n for n, _ in _field_names(parse_selection(fields))}
            for fields, _ in type_info.entity_keys()
        )

    def _overridden(self, subgraph: _Subgraph, type_name: str, field_name: str) -> bool:
        for other in self.subgraphs:
            info = other.types.get(type_name)
            if other is subgraph or info is None or field_name not in info.fields:
                continue
            if info.fields[field_name].argument("override", "from") == subgraph.name:
                return True
        return False

    # -- writing the supergraph ----------------------------------------------------------

    def supergraph(self) -> str:
        uses_inaccessible = self._uses("inaccessible")
        uses_tag = self._uses("tag")
        names = sorted({name for s in self.subgraphs for name in s.types})
        roots = [
            r
            for r in ("query", "mutation", "subscription")
            if any(r.capitalize() in s.types for s in self.subgraphs)
        ]
        parts = [
            _HEADER_SCHEMA.format(
                inaccessible=(_INACCESSIBLE_LINK if uses_inaccessible else "")
                + (_TAG_LINK if uses_tag else ""),
                roots="\n".join(f"  {r}: {r.capitalize()}" for r in roots),
            )
        ]
        directives = list(_JOIN_DIRECTIVES)
        if uses_inaccessible:
            directives.append(_INACCESSIBLE)
        if uses_tag:
            directives.append(_TAG)
        parts.extend(sorted(directives))
        parts.append(
            _GRAPH_ENUM.format(
                values="\n".join(
                    f'  {s.enum_value} @join__graph(name: "{s.name}", url: "{s.url}")'
                    for s in sorted(self.subgraphs, key=lambda s: s.enum_value)
                )
            )
        )
        parts.extend(_LINK_TYPES)
        for name in names:
            parts.append(self._type(name))
        return "\n\n".join(sorted(parts, key=_definition_sort_key)) + "\n"

    def _uses(self, directive: str) -> bool:
        return any(
            directive in t.directives
            or any(directive in f.directives for f in t.fields.values())
            or any(directive in directives for _, _, directives in t.values)
            for s in self.subgraphs
            for t in s.types.values()
        )

    def _definitions(self, name: str) -> list[tuple[_Subgraph, _Type]]:
        return [(s, s.types[name]) for s in self.subgraphs if name in s.types]

    def _type(self, name: str) -> str:
        owners = self._definitions(name)
        kinds = {t.kind for _, t in owners if not t.is_interface_object}
        kind = kinds.pop() if kinds else owners[0][1].kind
        description = next((t.description for _, t in owners if t.description), None)
        head = _description(description, "")
        join_types = []
        for subgraph, type_info in owners:
            keys = type_info.entity_keys()
            extension = "extends" in type_info.directives or type_info.is_extension
            if keys:
                for fields, resolvable in keys:
                    extra = "" if resolvable else ", resolvable: false"
                    extra += ", extension: true" if extension else ""
                    extra += ", isInterfaceObject: true" if type_info.is_interface_object else ""
                    join_types.append(
                        f'@join__type(graph: {subgraph.enum_value}, key: "{fields}"{extra})'
                    )
            else:
                join_types.append(f"@join__type(graph: {subgraph.enum_value})")
        implements = []
        interfaces: list[str] = []
        for subgraph, type_info in owners:
            for interface in type_info.interfaces:
                implements.append(
                    f'@join__implements(graph: {subgraph.enum_value}, interface: "{interface}")'
                )
                if interface not in interfaces:
                    interfaces.append(interface)
        type_directives = join_types + implements
        if any("inaccessible" in t.directives for _, t in owners):
            type_directives.append("@inaccessible")
        type_directives.extend(_kept_directive_list(t.directives for _, t in owners))
        directive_text = "".join(f"\n  {d}" for d in type_directives)
        keyword = {
            "object": "type",
            "interface": "interface",
            "union": "union",
            "enum": "enum",
            "scalar": "scalar",
            "input": "input",
        }[kind]
        implements_text = f" implements {' & '.join(interfaces)}" if interfaces else ""
        if kind == "scalar":
            return f"{head}scalar {name}{directive_text}"
        if kind == "union":
            members: list[str] = []
            member_directives = []
            for subgraph, type_info in owners:
                for member in type_info.members:
                    member_directives.append(
                        f'@join__unionMember(graph: {subgraph.enum_value}, member: "{member}")'
                    )
                    if member not in members:
                        members.append(member)
            directive_text = "".join(f"\n  {d}" for d in type_directives + member_directives)
            return f"{head}union {name}{directive_text}\n = {' | '.join(members)}"
        if kind == "enum":
            return f"{head}enum {name}{directive_text}\n{{\n{self._enum_values(owners)}\n}}"
        body = self._input_fields(owners) if kind == "input" else self._fields(name, owners)
        return f"{head}{keyword} {name}{implements_text}{directive_text}\n{{\n{body}\n}}"

    def _enum_values(self, owners: list[tuple[_Subgraph, _Type]]) -> str:
        lines: list[str] = []
        seen: dict[str, list[str]] = {}
        descriptions: dict[str, StringValueNode | None] = {}
        inaccessible: set[str] = set()
        kept: dict[str, list[dict[str, list[DirectiveNode]]]] = {}
        for subgraph, type_info in owners:
            for value, description, directives in type_info.values:
                seen.setdefault(value, []).append(subgraph.enum_value)
                descriptions[value] = descriptions.get(value) or description
                kept.setdefault(value, []).append(directives)
                if "inaccessible" in directives:
                    inaccessible.add(value)
        for value, graphs in seen.items():
            joins = " ".join(f"@join__enumValue(graph: {g})" for g in graphs)
            extra = " @inaccessible" if value in inaccessible else ""
            extra += _kept_directives(kept[value])
            lines.append(f"{_description(descriptions[value], '  ')}  {value} {joins}{extra}")
        return "\n".join(lines)

    def _input_fields(self, owners: list[tuple[_Subgraph, _Type]]) -> str:
        # An input field must be accepted by every subgraph defining the input type.
        common = [n for n in owners[0][1].fields if all(n in t.fields for _, t in owners)]
        lines = []
        for name in common:
            field_info = owners[0][1].fields[name]
            default = (
                f" = {print_ast(field_info.default_value)}"
                if field_info.default_value is not None
                else ""
            )
            extra = (
                " @inaccessible"
                if any("inaccessible" in t.fields[name].directives for _, t in owners)
                else ""
            )
            extra += _kept_directives(t.fields[name].directives for _, t in owners)
            description = _description(field_info.description, "  ")
            lines.append(
                f"{description}  {name}: {print_ast(field_info.type_node)}{default}{extra}"
            )
        return "\n".join(lines)

    def _fields(self, type_name: str, owners: list[tuple[_Subgraph, _Type]]) -> str:
        order: list[str] = []
        for _, type_info in owners:
            for name in type_info.fields:
                if name not in order:
                    order.append(name)
        lines = []
        for name in order:
            defining = [(s, t, t.fields[name]) for s, t in owners if name in t.fields]
            if not defining:
                continue
            first = defining[0][2]
            description = next((f.description for _, _, f in defining if f.description), None)
            types = {print_ast(f.type_node) for _, _, f in defining}
            # The supergraph type is the most permissive (nullable) of the subgraphs' types.
            field_type = (
                first.type_node
                if len(types) == 1
                else next(
                    f.type_node
                    for _, _, f in defining
                    if not isinstance(f.type_node, NonNullTypeNode)
                )
            )
            joins = []
            need_join = len(defining) != len(owners)
            for subgraph, _type_info, field_info in defining:
                args = [f"graph: {subgraph.enum_value}"]
                requires = field_info.argument("requires", "fields")
                provides = field_info.argument("provides", "fields")
                override = field_info.argument("override", "from")
                if requires:
                    args.append(f'requires: "{requires}"')
                if provides:
                    args.append(f'provides: "{provides}"')
                if len(types) > 1:
                    args.append(f'type: "{print_ast(field_info.type_node)}"')
                if _type_info.is_external(field_info):
                    args.append("external: true")
                if override:
                    args.append(f'override: "{override}"')
                overridden = self._overridden(subgraph, type_name, name)
                if overridden:
                    if not self._used_by_fieldsets(subgraph, type_name, name):
                        continue
                    args.append("usedOverridden: true")
                if (
                    requires
                    or provides
                    or override
                    or overridden
                    or _type_info.is_external(field_info)
                    or len(types) > 1
                ):
                    need_join = True
                joins.append(f"@join__field({', '.join(args)})")
            if not need_join:
                joins = []
            arguments = self._arguments(defining)
            extra = " @inaccessible" if any(f.has("inaccessible") for _, _, f in defining) else ""
            extra += _kept_directives(f.directives for _, _, f in defining)
            lines.append(
                f"{_description(description, '  ')}  {name}{arguments}: {print_ast(field_type)}"
                + "".join(f" {j}" for j in joins)
                + extra
            )
        lines.extend(self._interface_object_fields(type_name, order))
        return "\n".join(lines)

    def _interface_object_fields(self, type_name: str, present: list[str]) -> list[str]:
        """Fields an @interfaceObject adds to every implementation of its interface.

        No subgraph resolves them on the implementation itself (a bare @join__field):
        the gateway reaches them through the interface.
        """
        lines: list[str] = []
        interfaces = {
            interface
            for subgraph in self.subgraphs
            if type_name in subgraph.types
            for interface in subgraph.types[type_name].interfaces
        }
        for interface in sorted(interfaces):
            for subgraph in self.subgraphs:
                info = subgraph.types.get(interface)
                if info is None or not info.is_interface_object:
                    continue
                for field_name, field_info in info.fields.items():
                    if field_name in present:
                        continue
                    present.append(field_name)
                    arguments = self._arguments([(subgraph, info, field_info)])
                    lines.append(
                        f"{_description(field_info.description, '  ')}  {field_name}{arguments}: "
                        f"{print_ast(field_info.type_node)} @join__field"
                    )
        return lines

    def _used_by_fieldsets(self, subgraph: _Subgraph, type_name: str, field_name: str) -> bool:
        info = subgraph.types[type_name]
        sets = [fields for fields, _ in info.entity_keys()]
        sets += [f.argument("requires", "fields") or "" for f in info.fields.values()]
        return any(
            field_name in {n for n, _ in _field_names(parse_selection(s))} for s in sets if s
        )

    def _arguments(self, defining: list[tuple[_Subgraph, _Type, _Field]]) -> str:
        arguments = defining[0][2].arguments
        if not arguments:
            return ""
        printed = []
        for argument in arguments:
            default = (
                f" = {print_ast(argument.default_value)}"
                if argument.default_value is not None
                else ""
            )
            description = _description(argument.description, "    ")
            kept = "".join(
                f" {print_ast(d)}"
                for d in argument.directives or ()
                if d.name.value in _KEPT_DIRECTIVES
            )
            printed.append(
                f"{description}{argument.name.value}: {print_ast(argument.type)}{default}{kept}"
            )
        if any(a.description for a in arguments):
            return (
                "(\n"
                + "\n".join(
                    ("" if i == 0 else "\n") + "    " + p if not p.startswith('"') else p
                    for i, p in enumerate(printed)
                )
                + "\n  )"
            )
        return "(" + ", ".join(printed) + ")"


def _description(description: StringValueNode | None, indent: str) -> str:
    if description is None:
        return ""
    return (
        indent
        + print_ast(StringValueNode(value=description.value, block=True)).replace(
            "\n", "\n" + indent
        )
        + "\n"
    )


def _definition_sort_key(text: str) -> tuple[int, str]:
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith('"'))
    if body.startswith("schema"):
        return (0, "")
    if body.startswith("directive"):
        return (1, body.split("(")[0].split(" on")[0])
    words = body.split()
    name = words[1] if len(words) > 1 else body
    return (2, name)


_HEADER_SCHEMA = """schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION){inaccessible}
{{
{roots}
}}"""

# Definitions of the join and link machinery, word for word as Apollo writes them.
_JOIN_DIRECTIVES = [
    "directive @join__directive(graphs: [join__Graph!], name: String!, "
    "args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION",
    "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
    "directive @join__field(graph: join__Graph, requires: join__FieldSet, "
    "provides: join__FieldSet, type: String, external: Boolean, override: String, "
    "usedOverridden: Boolean, overrideLabel: String) repeatable on FIELD_DEFINITION | "
    "INPUT_FIELD_DEFINITION",
    "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
    "directive @join__implements(graph: join__Graph!, interface: String!) repeatable on "
    "OBJECT | INTERFACE",
    "directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = "
    "false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on "
    "OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
    "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION",
    "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) "
    "repeatable on SCHEMA",
]
_INACCESSIBLE = (
    "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | "
    "ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
_INACCESSIBLE_LINK = '\n  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)'
_TAG_LINK = '\n  @link(url: "https://specs.apollo.dev/tag/v0.3")'
_TAG = (
    "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | "
    "UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | "
    "INPUT_FIELD_DEFINITION | SCHEMA"
)
_GRAPH_ENUM = "enum join__Graph {{\n{values}\n}}"
_LINK_TYPES = [
    "scalar join__DirectiveArguments",
    "scalar join__FieldSet",
    "scalar link__Import",
    '''enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}''',
]


def compose(subgraphs: Mapping[str, tuple[str, str]]) -> str:
    """Compose {name: (url, sdl)} into a supergraph SDL; raise CompositionError on rule breaks."""
    parsed = [_read_subgraph(name, url, sdl) for name, (url, sdl) in subgraphs.items()]
    composer = _Composer(parsed)
    composer.validate()
    return composer.supergraph()


__all__ = ["CompositionError", "compose"]


# Directives a subgraph applies that the supergraph keeps as they are.
_KEPT_DIRECTIVES = ("deprecated", "specifiedBy", "tag")


def _kept_directive_list(directive_maps: Iterable[dict[str, list[DirectiveNode]]]) -> list[str]:
    printed: list[str] = []
    for directives in directive_maps:
        for name in _KEPT_DIRECTIVES:
            for node in directives.get(name, []):
                text = print_ast(node).replace(f"@{node.name.value}", f"@{name}", 1)
                if text not in printed:
                    printed.append(text)
    return printed


def _kept_directives(directive_maps: Iterable[dict[str, list[DirectiveNode]]]) -> str:
    return "".join(f" {text}" for text in _kept_directive_list(directive_maps))
