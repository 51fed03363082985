"""Mutable selection sets the planner builds subgraph operations from.

graphql-core's AST nodes are immutable; the planner adds key fields, __typename and
required fields to a subgraph's selection as it discovers them, merging by response
key, so it works on these and prints them back to AST at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    print_ast,
)
from graphql.language import Visitor, visit


@dataclass
class FieldSelection:
    name: str
    alias: str | None = None
    arguments: tuple[ArgumentNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    selections: SelectionSet | None = None
    # Added by the gateway (keys, @requires, __typename), not asked for by the client.
    internal: bool = False

    @property
    def response_key(self) -> str:
        return self.alias or self.name

    def identity(self) -> tuple[str, str, str, str]:
        """Two selections with the same identity are the same field and can be merged."""
        return (
            self.response_key,
            self.name,
            " ".join(print_ast(argument) for argument in self.arguments),
            " ".join(print_ast(directive) for directive in self.directives),
        )

    def to_ast(self) -> FieldNode:
        return FieldNode(
            alias=NameNode(value=self.alias) if self.alias else None,
            name=NameNode(value=self.name),
            arguments=self.arguments,
            directives=self.directives,
            selection_set=self.selections.to_ast() if self.selections is not None else None,
        )


@dataclass
class FragmentSelection:
    type_condition: str | None
    directives: tuple[DirectiveNode, ...] = ()
    selections: SelectionSet = field(default_factory=lambda: SelectionSet())

    def identity(self) -> tuple[str, str]:
        return (
            self.type_condition or "",
            " ".join(print_ast(directive) for directive in self.directives),
        )

    def to_ast(self) -> InlineFragmentNode:
        return InlineFragmentNode(
            type_condition=(
                NamedTypeNode(name=NameNode(value=self.type_condition))
                if self.type_condition
                else None
            ),
            directives=self.directives,
            selection_set=self.selections.to_ast(),
        )


Selection = FieldSelection | FragmentSelection


@dataclass
class SelectionSet:
    items: list[Selection] = field(default_factory=list)

    def __iter__(self) -> Iterator[Selection]:
        return iter(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def add_field(self, selection: FieldSelection) -> FieldSelection:
        """Add a field, merging into an identical one already present."""
        for existing in self.items:
            if isinstance(existing, FieldSelection) and existing.identity() == selection.identity():
                existing.internal = existing.internal and selection.internal
                if selection.selections is not None:
                    if existing.selections is None:
                        existing.selections = SelectionSet()
                    existing.selections.merge(selection.selections)
                return existing
        self.items.append(selection)
        return selection

    def fragment(
        self, type_condition: str | None, directives: tuple[DirectiveNode, ...] = ()
    ) -> FragmentSelection:
        wanted = FragmentSelection(type_condition, directives)
        for existing in self.items:
            if isinstance(existing, FragmentSelection) and existing.identity() == wanted.identity():
                return existing
        self.items.append(wanted)
        return wanted

    def merge(self, other: SelectionSet) -> None:
        for item in other.items:
            if isinstance(item, FieldSelection):
                self.add_field(
                    FieldSelection(
                        item.name,
                        item.alias,
                        item.arguments,
                        item.directives,
                        copy_selections(item.selections),
                        item.internal,
                    )
                )
            else:
                self.fragment(item.type_condition, item.directives).selections.merge(
                    item.selections
                )

    def resolve_conflicts(self) -> None:
        """Alias gateway-added fields whose response key the client uses for another field.

        A client may write `id: name`; the key field `id` the gateway needs then gets
        an alias of its own. Representations read these fields by response key, so they
        follow the alias. Applies to this selection set and every one below it.
        """
        # Directives do not make two fields different ones: `id` and `id @skip(if: $x)`
        # share their response key and merge, so only the name and arguments count.
        taken: dict[str, tuple[str, str]] = {}
        for item in self._all_fields():
            if not item.internal:
                taken.setdefault(item.response_key, item.identity()[1:3])
        for item in self._all_fields():
            clash = taken.get(item.response_key)
            if item.internal and clash is not None and clash != item.identity()[1:3]:
                item.alias = f"__sg_{item.name}"
        for child in self.items:
            if child.selections is not None:
                child.selections.resolve_conflicts()

    def _all_fields(self) -> Iterator[FieldSelection]:
        """Fields of this level, including those inside fragments (they share keys)."""
        for item in self.items:
            if isinstance(item, FieldSelection):
                yield item
            else:
                yield from item.selections._all_fields()

    def to_ast(self) -> SelectionSetNode:
        return SelectionSetNode(selections=tuple(item.to_ast() for item in self.items))

    @classmethod
    def from_ast(cls, node: SelectionSetNode) -> SelectionSet:
        result = cls()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                result.add_field(
                    FieldSelection(
                        selection.name.value,
                        selection.alias.value if selection.alias else None,
                        tuple(selection.arguments or ()),
                        tuple(selection.directives or ()),
                        cls.from_ast(selection.selection_set) if selection.selection_set else None,
                    )
                )
            elif isinstance(selection, InlineFragmentNode):
                result.fragment(
                    selection.type_condition.name.value if selection.type_condition else None,
                    tuple(selection.directives or ()),
                ).selections.merge(cls.from_ast(selection.selection_set))
        return result


def copy_selections(selections: SelectionSet | None) -> SelectionSet | None:
    if selections is None:
        return None
    copy = SelectionSet()
    copy.merge(selections)
    return copy


class _VariableCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_variable(self, node: VariableNode, *_args: object) -> None:
        if node.name.value not in self.names:
            self.names.append(node.name.value)


def used_variables(nodes: list[SelectionNode] | SelectionSetNode) -> list[str]:
    collector = _VariableCollector()
    if isinstance(nodes, SelectionSetNode):
        visit(nodes, collector)
    else:
        for node in nodes:
            visit(node, collector)
    return collector.names
