"""Limits on a document's shape, checked right after parsing and before validation.

Validation itself can be made expensive (OverlappingFieldsCanBeMerged compares every
pair of fields sharing a response name in a selection set, so 1,000 copies of one field
are half a million comparisons, seconds of CPU): these checks run first and are linear.
Fragments are measured once each, so a document that spreads the same fragment many
times is measured at the size it would expand to, without expanding it; a fragment
cycle stops the walk (validation reports the cycle).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
)

from gateway.errors import graphql_error
from gateway.limits import Limits

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class _Size:
    depth: int = 0
    aliases: int = 0
    directives: int = 0

    def __add__(self, other: _Size) -> _Size:
        return _Size(
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            self.directives + other.directives,
        )


@dataclass
class _Measure:
    fragments: dict[str, FragmentDefinitionNode]
    max_list_size: int
    sizes: dict[str, _Size] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)
    longest_list: int = 0
    most_repeated: int = 0
    introspects: bool = False

    def selection_set(self, selection_set: SelectionSetNode | None) -> _Size:
        if selection_set is not None:
            self.most_repeated = max(self.most_repeated, _most_repeated(selection_set))
        total = _Size()
        for selection in selection_set.selections if selection_set else ():
            total = total + _Size(directives=self.directives(selection.directives))
            if isinstance(selection, FieldNode):
                self.arguments(selection)
                below = self.selection_set(selection.selection_set)
                if selection.name.value in INTROSPECTION_FIELDS:
                    self.introspects = True
                    below = _Size(0, below.aliases, below.directives)
                total = total + _Size(
                    1 + below.depth, below.aliases + (1 if selection.alias else 0), below.directives
                )
            elif isinstance(selection, InlineFragmentNode):
                total = total + self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total = total + self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> _Size:
        if name in self.sizes:
            return self.sizes[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return _Size()  # unknown or cyclic: validation says so
        self.in_progress.add(name)
        size = self.selection_set(definition.selection_set) + _Size(
            directives=self.directives(definition.directives)
        )
        self.in_progress.discard(name)
        self.sizes[name] = size
        return size

    def directives(self, directives: tuple[DirectiveNode, ...] | None) -> int:
        for directive in directives or ():
            for argument in directive.arguments or ():
                self.value(argument.value)
        return len(directives or ())

    def arguments(self, node: FieldNode) -> None:
        for argument in node.arguments or ():
            self.value(argument.value)

    def value(self, value: ValueNode) -> None:
        if isinstance(value, ListValueNode):
            self.longest_list = max(self.longest_list, len(value.values))
            for item in value.values:
                self.value(item)
        elif isinstance(value, ObjectValueNode):
            for object_field in value.fields:
                self.value(object_field.value)


def _most_repeated(selection_set: SelectionSetNode) -> int:
    """How often the most repeated response name occurs, inline fragments flattened."""
    counts: Counter[str] = Counter()
    pending = list(selection_set.selections)
    while pending:
        selection = pending.pop()
        if isinstance(selection, FieldNode):
            counts[(selection.alias or selection.name).value] += 1
        elif isinstance(selection, InlineFragmentNode):
            pending.extend(selection.selection_set.selections)
    return max(counts.values(), default=0)


def check_document(
    document: DocumentNode, limits: Limits, *, introspection: bool
) -> list[dict[str, Any]]:
    """The limits this document breaks, as GraphQL errors (empty when it is within them)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    measure = _Measure(fragments, limits.max_list_size)
    size = _Size()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            operation = measure.selection_set(definition.selection_set) + _Size(
                directives=measure.directives(definition.directives)
            )
            for variable in definition.variable_definitions or ():
                operation = operation + _Size(directives=measure.directives(variable.directives))
            size = _Size(
                max(size.depth, operation.depth),
                max(size.aliases, operation.aliases),
                max(size.directives, operation.directives),
            )
    # (measured, limit, code, extension names, message) of each limit on a count.
    counted = (
        (
            size.depth,
            limits.max_depth,
            "MAX_DEPTH_EXCEEDED",
            ("depth", "maxDepth"),
            f"The operation is {size.depth} levels deep; the limit is {limits.max_depth}.",
        ),
        (
            size.aliases,
            limits.max_aliases,
            "MAX_ALIASES_EXCEEDED",
            ("aliases", "maxAliases"),
            f"The operation uses {size.aliases} aliases; the limit is {limits.max_aliases}.",
        ),
        (
            size.directives,
            limits.max_directives,
            "MAX_DIRECTIVES_EXCEEDED",
            ("directives", "maxDirectives"),
            f"The operation uses {size.directives} directives; "
            f"the limit is {limits.max_directives}.",
        ),
        (
            measure.most_repeated,
            limits.max_field_repeats,
            "MAX_FIELD_REPEATS_EXCEEDED",
            ("repeats", "maxRepeats"),
            f"A field is selected {measure.most_repeated} times in one selection set; "
            f"the limit is {limits.max_field_repeats}.",
        ),
    )
    errors = [
        graphql_error(message, code, **{name: measured, max_name: limit})
        for measured, limit, code, (name, max_name), message in counted
        if measured > limit
    ]
    if measure.longest_list > limits.max_list_size:
        errors.append(list_size_error(measure.longest_list, limits.max_list_size))
    if measure.introspects and not introspection:
        errors.append(
            graphql_error("Introspection is disabled on this server.", "INTROSPECTION_DISABLED")
        )
    return errors


def list_size_error(size: int, limit: int) -> dict[str, Any]:
    return graphql_error(
        f"A list argument has {size} items; the limit is {limit}.",
        "LIST_SIZE_EXCEEDED",
        size=size,
        maxListSize=limit,
    )


def longest_list(value: Any) -> int:
    """The longest list anywhere in a JSON value (variables); iterative, for deep nesting."""
    longest, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            longest = max(longest, len(item))
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
    return longest
