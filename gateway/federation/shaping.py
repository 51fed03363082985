"""Shaping the client's answer from the merged tree of fetch results.

One walk over the operation gives the response its field order, its aliases,
@skip/@include, type conditions, and GraphQL null propagation for non-null fields. No
resolver runs a second time; the gateway only copies values.

What each selection asks of an object is worked out once per operation, not per
request: the fields it collects for a type (fragments and type conditions resolved),
and for each field whether it is a plain leaf that is copied as it is. Those steps are
kept on the plan, so a listing's answer is copied field by field without looking at a
type or a fragment again. A selection holding @skip or @include depends on the
request's variables, and its steps are kept for the one request only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.values import VariableValues, get_directive_values

from gateway.federation.plan import QueryPlan

ResponsePath = list[str | int]

# How a field of a collected selection is answered.
_TYPENAME: Final = 0  # the object's type name
_INTROSPECTION: Final = 1  # __schema / __type at the root, answered by the gateway
_LEAF: Final = 2  # a nullable scalar or enum: the merged value as it is
_NON_NULL_LEAF: Final = 3  # a non-null scalar or enum: the value, or null propagation
_COMPLETED: Final = 4  # anything else: completed by type (lists, objects, abstract types)


class _Step:
    """How one response key of a collected selection is answered, and, for a field with
    a selection of its own, the steps of that selection per runtime type (found on first
    use and kept with the step)."""

    __slots__ = ("children", "kept", "key", "kind", "name", "nodes", "selection_sets", "type_")

    def __init__(
        self,
        kind: int,
        key: str,
        name: str,
        type_: GraphQLOutputType | None,
        nodes: list[FieldNode],
        kept: bool,
    ) -> None:
        self.kind = kind
        self.key = key
        self.name = name
        self.type_ = type_
        self.nodes = nodes
        self.selection_sets = [node.selection_set for node in nodes if node.selection_set]
        # Kept on the plan for every request of the operation, rather than for this one.
        self.kept = kept
        self.children: dict[str, list[_Step]] = {}


class _NullPropagation(Exception):
    """A non-null field resolved to null: its parent becomes null in turn."""


class _Shaper:
    def __init__(
        self,
        schema: GraphQLSchema,
        plan: QueryPlan,
        variables: VariableValues,
        errors: list[dict[str, Any]],
        introspection: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.plan = plan
        self.variables = variables
        self.errors = errors
        self.introspection = introspection
        self._error_paths = [tuple(e["path"]) for e in errors if e.get("path")]
        self._explained: set[tuple[str | int, ...]] = set()
        self._steps_here: dict[tuple[object, ...], list[_Step]] = {}

    def shape(self, data: dict[str, Any]) -> dict[str, Any] | None:
        root = self.schema.get_type(self.plan.root_type)
        assert isinstance(root, GraphQLObjectType)
        steps = self._steps(root, [self.plan.operation.selection_set], root=True)
        try:
            return self._object(root, steps, data, [])
        except _NullPropagation:
            return None

    def _object(
        self,
        object_type: GraphQLObjectType | GraphQLInterfaceType,
        steps: list[_Step],
        data: Mapping[str, Any],
        path: ResponsePath,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        errors = self.errors
        for step in steps:
            kind, key = step.kind, step.key
            if kind == _TYPENAME:
                result[key] = object_type.name
                continue
            if kind == _INTROSPECTION:
                result[key] = self.introspection.get(key)
                continue
            value = data.get(key)
            if errors and key not in data:
                # Never fetched: the fetch that should have brought it failed, and its
                # error is already in the response.
                self._explained.add((*path, key))
            if kind == _LEAF or (kind == _NON_NULL_LEAF and value is not None):
                result[key] = value
            else:
                assert step.type_ is not None
                result[key] = self._value(step.type_, step, value, [*path, key], object_type.name)
        return result

    def _value(
        self,
        type_: GraphQLOutputType,
        step: _Step,
        value: Any,
        path: ResponsePath,
        parent_type: str,
    ) -> Any:
        if isinstance(type_, GraphQLNonNull):
            completed = self._value(type_.of_type, step, value, path, parent_type)
            if completed is None:
                self._null_error(path, parent_type, step.name)
                raise _NullPropagation
            return completed
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                return None
            items = []
            item_type = type_.of_type
            for index, item in enumerate(value):
                try:
                    items.append(self._value(item_type, step, item, [*path, index], parent_type))
                except _NullPropagation:
                    return None
            return items
        if is_leaf_type(type_):
            return value
        if not isinstance(value, dict):
            return None
        object_type = self._runtime_type(type_, value)
        if object_type is None:
            return None
        try:
            return self._object(object_type, self._children(step, object_type), value, path)
        except _NullPropagation:
            return None

    def _children(
        self, step: _Step, object_type: GraphQLObjectType | GraphQLInterfaceType
    ) -> list[_Step]:
        """The steps of `step`'s selection on an object of `object_type`."""
        found = step.children.get(object_type.name)
        if found is not None:
            return found
        for_this_request = (id(step), object_type.name)
        found = self._steps_here.get(for_this_request)
        if found is not None:
            return found
        steps, conditional = self._collected_steps(
            object_type, step.selection_sets, root=False, kept=step.kept
        )
        if conditional and step.kept:
            # The plan's step is shared by every request; these steps read this one's
            # variables.
            self._steps_here[for_this_request] = steps
        else:
            step.children[object_type.name] = steps
        return steps

    def _runtime_type(
        self, type_: Any, value: Mapping[str, Any]
    ) -> GraphQLObjectType | GraphQLInterfaceType | None:
        if isinstance(type_, GraphQLObjectType):
            return type_
        typename = value.get("__typename")
        if isinstance(type_, GraphQLInterfaceType) and typename in (None, type_.name):
            # Answered by an @interfaceObject subgraph, and nothing selected needed the
            # concrete type (so the plan did not ask the owner): shaped as the interface.
            return type_
        runtime = self.schema.get_type(typename) if isinstance(typename, str) else None
        if (
            isinstance(runtime, GraphQLObjectType)
            and isinstance(type_, GraphQLAbstractType)
            and self.schema.is_sub_type(type_, runtime)
        ):
            return runtime
        return None

    def _null_error(self, path: ResponsePath, parent_type: str, field_name: str) -> None:
        here = tuple(path)
        # A subgraph already reported why this is null: one error per cause is enough.
        if any(error_path[: len(here)] == here for error_path in self._error_paths):
            return
        if any(here[: len(explained)] == explained for explained in self._explained):
            return
        self.errors.append(
            {
                "message": f"Cannot return null for non-nullable field {parent_type}.{field_name}.",
                "path": list(path),
            }
        )
        self._error_paths.append(here)

    def _steps(
        self,
        object_type: GraphQLObjectType | GraphQLInterfaceType,
        selection_sets: list[SelectionSetNode],
        root: bool,
    ) -> list[_Step]:
        """The steps of a top-level selection (the operation's, or a deferred part's),
        kept on the plan unless a directive reads the variables."""
        key = (object_type.name, root, *(id(selection_set) for selection_set in selection_sets))
        kept = self._steps_here.get(key)
        if kept is not None:
            return kept
        on_plan = self.plan.shapes.get(key)
        if isinstance(on_plan, _KeptSteps):
            self._steps_here[key] = on_plan.steps
            return on_plan.steps
        steps, conditional = self._collected_steps(object_type, selection_sets, root, kept=True)
        self._steps_here[key] = steps
        if not conditional:
            self.plan.shapes[key] = _KeptSteps(steps, selection_sets)
        return steps

    def _collected_steps(
        self,
        object_type: GraphQLObjectType | GraphQLInterfaceType,
        selection_sets: list[SelectionSetNode],
        root: bool,
        *,
        kept: bool,
    ) -> tuple[list[_Step], bool]:
        """The steps of these selection sets on `object_type`, and whether collecting them
        met a directive (whose effect may depend on the variables)."""
        fields: dict[str, list[FieldNode]] = {}
        conditional = _Conditional()
        for selection_set in selection_sets:
            self._collect(object_type, selection_set, fields, set(), conditional)
        kept = kept and not conditional.seen
        steps = [
            step
            for response_key, nodes in fields.items()
            if (step := self._step(object_type, response_key, nodes, root, kept)) is not None
        ]
        return steps, conditional.seen

    def _step(
        self,
        object_type: GraphQLObjectType | GraphQLInterfaceType,
        key: str,
        nodes: list[FieldNode],
        root: bool,
        kept: bool,
    ) -> _Step | None:
        name = nodes[0].name.value
        if name == "__typename":
            return _Step(_TYPENAME, key, name, None, nodes, kept)
        if root and name in ("__schema", "__type"):
            return _Step(_INTROSPECTION, key, name, None, nodes, kept)
        definition = object_type.fields.get(name)
        if definition is None:
            return None
        type_ = definition.type
        if is_leaf_type(type_):
            kind = _LEAF
        elif isinstance(type_, GraphQLNonNull) and is_leaf_type(type_.of_type):
            kind = _NON_NULL_LEAF
        else:
            kind = _COMPLETED
        return _Step(kind, key, name, type_, nodes, kept)

    def _collect(
        self,
        object_type: GraphQLObjectType | GraphQLInterfaceType,
        selection_set: SelectionSetNode,
        fields: dict[str, list[FieldNode]],
        visited: set[str],
        conditional: _Conditional,
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                conditional.seen = True
                if not self._included(selection):
                    continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, object_type):
                    self._collect(
                        object_type, selection.selection_set, fields, visited, conditional
                    )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.plan.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition.name.value, object_type):
                    self._collect(object_type, fragment.selection_set, fields, visited, conditional)

    def _applies(
        self, condition: str, object_type: GraphQLObjectType | GraphQLInterfaceType
    ) -> bool:
        if condition == object_type.name:
            return True
        conditional = self.schema.get_type(condition)
        return is_abstract_type(conditional) and self.schema.is_sub_type(
            conditional,
            object_type,
        )

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)


@dataclass(frozen=True, slots=True)
class _KeptSteps:
    steps: list[_Step]
    # Kept alive with the steps, so that their ids (the key) are not reused by other
    # nodes while the plan lives.
    selection_sets: list[SelectionSetNode]


class _Conditional:
    """Whether a collection met a directive (whose effect may depend on variables)."""

    seen = False


def shape(
    schema: GraphQLSchema,
    plan: QueryPlan,
    variables: VariableValues,
    errors: list[dict[str, Any]],
    introspection: dict[str, Any],
    data: dict[str, Any],
) -> dict[str, Any] | None:
    """The operation's answer shaped from the merged tree; None when null propagates to
    the root. Errors found while shaping are appended to `errors`."""
    return _Shaper(schema, plan, variables, errors, introspection).shape(data)


def shape_selection(
    schema: GraphQLSchema,
    plan: QueryPlan,
    variables: VariableValues,
    errors: list[dict[str, Any]],
    selection: tuple[GraphQLObjectType, SelectionSetNode],
    data: Mapping[str, Any],
    path: ResponsePath,
) -> dict[str, Any] | None:
    """One selection set shaped from one object of the merged tree (a deferred part);
    None when a non-null field in it is null."""
    object_type, selection_set = selection
    shaper = _Shaper(schema, plan, variables, errors, {})
    steps = shaper._steps(object_type, [selection_set], root=False)
    try:
        return shaper._object(object_type, steps, data, path)
    except _NullPropagation:
        return None
