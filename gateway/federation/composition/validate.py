"""The federation rules a set of subgraphs must satisfy to compose.

- a @key, @requires or @provides field set names fields that exist;
- a field resolved by several subgraphs is @shareable in each (key fields and
  @external fields excepted), unless one of them takes it over with @override;
- @external fields are used by a @key, @requires or @provides of their subgraph;
- @requires names only @external fields; @provides is on a field returning an entity
  and names fields that are @external in that subgraph;
- a type has one kind everywhere, and a field one type (up to nullability).
"""

from __future__ import annotations

from graphql import SelectionSetNode, TypeNode, print_ast

from gateway.federation.composition.subgraphs import (
    SubgraphField,
    SubgraphSchema,
    SubgraphType,
    field_names,
    fieldset_names,
    is_overridden,
    named_type,
)
from gateway.federation.supergraph import parse_selection


def validation_errors(subgraphs: list[SubgraphSchema]) -> list[str]:
    """Every rule the subgraphs break, each naming the subgraph, type and field."""
    return _Validator(subgraphs).validate()


def _strip_non_null(node: TypeNode) -> str:
    return print_ast(node).replace("!", "")


class _Validator:
    def __init__(self, subgraphs: list[SubgraphSchema]) -> None:
        self.subgraphs = subgraphs
        self.errors: list[str] = []

    # -- validation --------------------------------------------------------------------

    def validate(self) -> list[str]:
        for subgraph in self.subgraphs:
            self._validate_subgraph(subgraph)
        self._validate_kinds()
        self._validate_sharing()
        return self.errors

    def _validate_fieldset(
        self, subgraph: SubgraphSchema, type_name: str, fields: str, directive: str, where: str
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
        for name, _ in field_names(selection):
            names.append(name)
        return names

    def _check_fields(
        self,
        subgraph: SubgraphSchema,
        type_name: str,
        selection: SelectionSetNode,
        directive: str,
        where: str,
        fields: str,
    ) -> None:
        info = subgraph.types.get(type_name)
        for name, nested in field_names(selection):
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
                    subgraph,
                    named_type(info.fields[name].type_node),
                    nested,
                    directive,
                    where,
                    fields,
                )

    def _validate_subgraph(self, subgraph: SubgraphSchema) -> None:
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
                    names = self._validate_fieldset(
                        subgraph, type_info.name, requires, "requires", where
                    )
                    used_external.update(names)
                    self._check_external(subgraph, where, "requires", type_info, names)
                provides = field_info.argument("provides", "fields")
                if provides is not None:
                    target_name = named_type(field_info.type_node)
                    target = subgraph.types.get(target_name)
                    if target is None or not target.entity_keys():
                        self.errors.append(
                            f"[{subgraph.name}] {where}: @provides is only allowed on fields "
                            f'returning an entity, but "{target_name}" has no @key.'
                        )
                    else:
                        names = self._validate_fieldset(
                            subgraph, target_name, provides, "provides", where
                        )
                        self._check_external(subgraph, where, "provides", target, names)
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

    def _check_external(
        self,
        subgraph: SubgraphSchema,
        where: str,
        directive: str,
        type_info: SubgraphType,
        names: list[str],
    ) -> None:
        """@requires and @provides may name only fields @external in their subgraph."""
        for name in names:
            named = type_info.fields.get(name)
            if named is not None and not named.has("external"):
                self.errors.append(
                    f"[{subgraph.name}] {where}: @{directive} names "
                    f'"{type_info.name}.{name}", which must be marked @external in '
                    f'subgraph "{subgraph.name}".'
                )

    def _provided_anywhere(self, subgraph: SubgraphSchema, type_name: str, field_name: str) -> bool:
        for type_info in subgraph.types.values():
            for field_info in type_info.fields.values():
                provides = field_info.argument("provides", "fields")
                if (
                    provides
                    and named_type(field_info.type_node) == type_name
                    and field_name in fieldset_names(provides)
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
        definitions: dict[
            tuple[str, str], list[tuple[SubgraphSchema, SubgraphType, SubgraphField]]
        ] = {}
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
                if not t.is_external(f)
                and not is_overridden(self.subgraphs, s, type_name, field_name)
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
                if not self._shareable(t, f) and not t.is_key_field(field_name)
            ]
            if unshared:
                names = " and ".join(f'"{s.name}"' for s, _, _ in resolving)
                self.errors.append(
                    f'Non-shareable field "{type_name}.{field_name}" is resolved from multiple '
                    f"subgraphs: it is resolved from subgraphs {names} and defined as "
                    f"non-shareable in {', '.join(repr(n) for n in unshared)}."
                )

    def _shareable(self, type_info: SubgraphType, field_info: SubgraphField) -> bool:
        return field_info.has("shareable") or type_info.directives.get("shareable") is not None
