"""Text Postgres cannot store is refused before any resolver sees it.

Postgres text holds any Unicode character but NUL (U+0000), and UTF-8 has no encoding
for a lone UTF-16 surrogate (U+D800 to U+DFFF), which a JSON body can still carry as
an escape ("\\ud800"). Either one, written or compared in a query, makes the driver
fail: an internal error for input the client got wrong. So every subgraph checks every
string it is sent, wherever it sits (an argument, a field of an input object at any
depth, an item of a list, a literal or a variable's value, a federation
representation), before execution starts.

The refusal is one top-level GraphQL error, code BAD_USER_INPUT, with no data, whose
message names where the string sat (`filter.search`, `input.lines[0].sku`) and never
shows the string. It is a top-level error and not a payload error (`errors { field
code message }`) on purpose: the check runs before any resolver, so it holds the same
for queries, which have no payload, and for a document with several mutations, none of
which runs; and it is the same kind of error as a variable of the wrong type, which
graphql-core reports at the top level too.

Cost: what the document itself holds (its literals, and which argument each variable
feeds) is worked out once per document text and operation, and cached; each request
then only looks at the variables' values. Nothing happens per resolved field.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_CACHE_SIZE = 512

_Path = tuple[str | int, ...]


def shown(path: _Path) -> str:
    """`filter.search`, `input.lines[0].sku`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def describe(character: str) -> str:
    if character == "\x00":
        return "a NUL character (U+0000)"
    return f"an unpaired surrogate (U+{ord(character):04X})"


@dataclass(frozen=True)
class Unstorable:
    """Where a string Postgres cannot store sat, and what was wrong with it."""

    field: str
    path: _Path
    character: str
    node: Node | None = None

    @property
    def message(self) -> str:
        return (
            f"`{shown(self.path)}` of `{self.field}` contains {describe(self.character)}, "
            "which text cannot hold."
        )

    def error(self) -> GraphQLError:
        return GraphQLError(
            self.message,
            nodes=self.node,
            extensions={"code": "BAD_USER_INPUT"},
        )


@dataclass(frozen=True)
class _VariableUse:
    variable: str
    field: str
    path: _Path
    node: Node


@dataclass(frozen=True)
class _Plan:
    """What one operation of a document holds: a bad literal, or where variables go."""

    literal: Unstorable | None
    uses: tuple[_VariableUse, ...]


def find_unstorable(value: Any, path: _Path = ()) -> tuple[_Path, str] | None:
    """The path inside `value` (JSON-like) to the first string Postgres cannot store."""
    if isinstance(value, str):
        found = UNSTORABLE.search(value)
        return (path, found.group()) if found else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and (found := UNSTORABLE.search(key)):
                return (*path, key), found.group()
            if (inner := find_unstorable(item, (*path, str(key)))) is not None:
                return inner
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if (inner := find_unstorable(item, (*path, index))) is not None:
                return inner
    return None


class _Planner:
    def __init__(self) -> None:
        self.literal: Unstorable | None = None
        self.uses: list[_VariableUse] = []

    def selection_set(self, selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            self.directives(selection.directives)
            if isinstance(selection, FieldNode):
                self.arguments(selection.name.value, selection.arguments)
                self.selection_set(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                self.selection_set(selection.selection_set)

    def directives(self, directives: tuple[DirectiveNode, ...] | None) -> None:
        for directive in directives or ():
            self.arguments(f"@{directive.name.value}", directive.arguments)

    def arguments(self, field: str, arguments: tuple[ArgumentNode, ...] | None) -> None:
        for argument in arguments or ():
            self.value(field, (argument.name.value,), argument.value, argument)

    def value(self, field: str, path: _Path, value: ValueNode, node: Node) -> None:
        if isinstance(value, StringValueNode):
            found = UNSTORABLE.search(value.value)
            if found and self.literal is None:
                self.literal = Unstorable(field, path, found.group(), node)
        elif isinstance(value, VariableNode):
            self.uses.append(_VariableUse(value.name.value, field, path, node))
        elif isinstance(value, ObjectValueNode):
            for object_field in value.fields:
                self.value(field, (*path, object_field.name.value), object_field.value, node)
        elif isinstance(value, ListValueNode):
            for index, item in enumerate(value.values):
                self.value(field, (*path, index), item, node)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def plan(document: DocumentNode, operation_name: str | None) -> _Plan:
    planner = _Planner()
    operation = _operation(document, operation_name)
    if operation is None:
        return _Plan(None, ())  # graphql-core says which operation is missing
    planner.directives(operation.directives)
    planner.selection_set(operation.selection_set)
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            planner.directives(definition.directives)
            planner.selection_set(definition.selection_set)
    # A variable's default is a literal too; it is named where the variable is used.
    defaults = {
        definition.variable.name.value: definition.default_value
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    for use in list(planner.uses):
        if (default := defaults.get(use.variable)) is not None:
            planner.value(use.field, use.path, default, use.node)
    return _Plan(planner.literal, tuple(planner.uses))


_plans: OrderedDict[tuple[str, str | None], _Plan] = OrderedDict()


def _cached_plan(query: str | None, document: DocumentNode, operation: str | None) -> _Plan:
    if query is None:
        return plan(document, operation)
    key = (query, operation)
    found = _plans.get(key)
    if found is None:
        found = _plans[key] = plan(document, operation)
        if len(_plans) > _CACHE_SIZE:
            _plans.popitem(last=False)
    else:
        _plans.move_to_end(key)
    return found


def check(
    query: str | None,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> Unstorable | None:
    """The first string of this request Postgres cannot store, or None."""
    found = _cached_plan(query, document, operation_name)
    if found.literal is not None:
        return found.literal
    for use in found.uses:
        if variables and use.variable in variables:
            inner = find_unstorable(variables[use.variable])
            if inner is not None:
                path, character = inner
                return Unstorable(use.field, (*use.path, *path), character, use.node)
    return None


class RefuseUnstorableText(SchemaExtension):
    """Answers BAD_USER_INPUT, without executing, when a string cannot be stored."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.result is None and document is not None:
            found = check(context.query, document, context.operation_name, context.variables)
            if found is not None:
                context.result = ExecutionResult(data=None, errors=[found.error()])
        yield
