"""Writing the supergraph SDL: the join-spec directives Apollo's composition writes,
in the order it writes them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from graphql import DirectiveNode, NonNullTypeNode, StringValueNode, print_ast

from gateway.federation.composition.subgraphs import (
    SubgraphField,
    SubgraphSchema,
    SubgraphType,
    fieldset_names,
    is_overridden,
)


def print_supergraph(subgraphs: list[SubgraphSchema]) -> str:
    """The supergraph SDL of subgraphs that passed validation."""
    return _Printer(subgraphs).supergraph()


class _Printer:
    def __init__(self, subgraphs: list[SubgraphSchema]) -> None:
        self.subgraphs = subgraphs

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

    def _definitions(self, name: str) -> list[tuple[SubgraphSchema, SubgraphType]]:
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
        implements, interfaces = _per_graph(
            owners,
            lambda type_info: type_info.interfaces,
            lambda graph, interface: f'@join__implements(graph: {graph}, interface: "{interface}")',
        )
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
            member_directives, members = _per_graph(
                owners,
                lambda type_info: type_info.members,
                lambda graph, member: f'@join__unionMember(graph: {graph}, member: "{member}")',
            )
            directive_text = "".join(f"\n  {d}" for d in type_directives + member_directives)
            return f"{head}union {name}{directive_text}\n = {' | '.join(members)}"
        if kind == "enum":
            return f"{head}enum {name}{directive_text}\n{{\n{self._enum_values(owners)}\n}}"
        body = self._input_fields(owners) if kind == "input" else self._fields(name, owners)
        return f"{head}{keyword} {name}{implements_text}{directive_text}\n{{\n{body}\n}}"

    def _enum_values(self, owners: list[tuple[SubgraphSchema, SubgraphType]]) -> str:
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

    def _input_fields(self, owners: list[tuple[SubgraphSchema, SubgraphType]]) -> str:
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

    def _fields(self, type_name: str, owners: list[tuple[SubgraphSchema, SubgraphType]]) -> str:
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
                overridden = is_overridden(self.subgraphs, subgraph, type_name, name)
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

    def _used_by_fieldsets(self, subgraph: SubgraphSchema, type_name: str, field_name: str) -> bool:
        info = subgraph.types[type_name]
        sets = [fields for fields, _ in info.entity_keys()]
        sets += [f.argument("requires", "fields") or "" for f in info.fields.values()]
        return any(field_name in fieldset_names(s) for s in sets if s)

    def _arguments(self, defining: list[tuple[SubgraphSchema, SubgraphType, SubgraphField]]) -> str:
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


def _per_graph(
    owners: list[tuple[SubgraphSchema, SubgraphType]],
    names_of: Callable[[SubgraphType], list[str]],
    directive_of: Callable[[str, str], str],
) -> tuple[list[str], list[str]]:
    """A join directive per subgraph and name (an interface, a union member), and the
    names once each, in the order the subgraphs give them."""
    directives: list[str] = []
    names: list[str] = []
    for subgraph, type_info in owners:
        for name in names_of(type_info):
            directives.append(directive_of(subgraph.enum_value, name))
            if name not in names:
                names.append(name)
    return directives, names


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
