"""Turning one operation into a tree of field steps (plan.py), read from the graphql-core
schema Strawberry built.

Fields are grouped exactly as graphql-core groups them, by calling its own
`collect_fields` and `collect_subfields`: same response keys, same order, same merged
field nodes. What those two read from the request's variables is `@skip`/`@include`
(fragment variables and `@defer` are refused below), so a plan holds for every request
whose conditions have the same values; the cache (cache.py) keeps one plan per set of
condition values.

What is not compiled raises `NotCompiled` with the reason, and the operation runs
through graphql-core's executor; introspection's `__schema` and `__type` are compiled as
steps that hand the field to graphql-core's own `execute_field`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from domains.kit.graphql.compiled.plan import (
    Completion,
    CompletionKind,
    FieldStep,
    ObjectPlan,
    OperationPlan,
    StepKind,
)
from graphql import (
    ArgumentNode,
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    ListValueNode,
    ObjectValueNode,
    OperationType,
    ValueNode,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import (
    FieldDetailsList,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import get_argument_values

# Introspection's entry points: graphql-core answers them (rare, and never sent by the
# gateway, which answers introspection itself).
_DELEGATED_FIELDS = {"__schema", "__type"}

# Argument values a resolver cannot change in place, so one coerced copy can serve every
# request. Lists and input objects (dicts) are coerced again per request: a resolver may
# change them (Strawberry's `_entities` pops `__typename` off each representation).
_IMMUTABLE_VALUES = (
    *(str, int, float, bool, type(None)),
    *(Decimal, UUID, date, datetime, time, timedelta, Enum),
)


class NotCompiled(Exception):
    """Why an operation runs through graphql-core's executor instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def compile_operation(executor: Executor[Any]) -> OperationPlan:
    """The plan of the operation `executor` was built for, for the `@skip`/`@include`
    values of its variables."""
    return _Compiler(executor).operation()


class _Compiler:
    def __init__(self, executor: Executor[Any]) -> None:
        self.schema = executor.schema
        self.fragments = executor.fragments
        self.variable_values = executor.variable_values
        self.operation_node = executor.operation
        self.hide_suggestions = executor.hide_suggestions
        self.field_resolver = executor.field_resolver
        self.delegated: list[str] = []

    def operation(self) -> OperationPlan:
        operation = self.operation_node
        if operation.operation is OperationType.SUBSCRIPTION:
            raise NotCompiled("subscription (runs through Strawberry's subscribe)")
        if any(details.variable_signatures for details in self.fragments.values()):
            raise NotCompiled("fragment variables (experimental)")
        root_type = self.schema.get_root_type(operation.operation)
        if root_type is None:
            raise NotCompiled(f"the schema has no {operation.operation.value} type")
        try:
            grouped, defers, _ = collect_fields(
                self.schema,
                self.fragments,
                self.variable_values,
                root_type,
                operation,
                self.hide_suggestions,
            )
            if defers:
                raise NotCompiled("@defer")
            root = self.object_plan(root_type, grouped)
        except RecursionError:
            # graphql-core reports it as an error of its own.
            raise NotCompiled("selections nested too deeply") from None
        return OperationPlan(
            root=root,
            serial=operation.operation is OperationType.MUTATION,
            delegated=tuple(self.delegated),
        )

    def object_plan(self, object_type: GraphQLObjectType, grouped: GroupedFieldSet) -> ObjectPlan:
        steps = []
        for key, field_details_list in grouped.items():
            step = self.field_step(object_type, key, field_details_list)
            if step is not None:
                steps.append(step)
        is_type_of = object_type.is_type_of
        return ObjectPlan(
            object_type=object_type,
            type_name=object_type.name,
            steps=tuple(steps),
            is_type_of=is_type_of,
            is_type_of_reads_info=is_type_of is not None and _reads_info(is_type_of),
        )

    def field_step(
        self, parent_type: GraphQLObjectType, key: str, field_details_list: FieldDetailsList
    ) -> FieldStep | None:
        node = field_details_list[0].node
        field_name = node.name.value
        field_def = self.schema.get_field(parent_type, field_name)
        if field_def is None:
            return None  # graphql-core leaves such a key out of the answer too
        nodes = [details.node for details in field_details_list]
        null_message = f"Cannot return null for non-nullable field {parent_type}.{field_name}."

        def step(kind: StepKind, completion: Completion, **details: Any) -> FieldStep:
            return FieldStep(
                kind=kind,
                key=key,
                field_name=field_name,
                field_def=field_def,
                parent_type=parent_type,
                field_details_list=field_details_list,
                field_nodes=nodes,
                completion=completion,
                null_message=null_message,
                **details,
            )

        if field_name in _DELEGATED_FIELDS:
            self.delegated.append(f"{parent_type}.{field_name}: introspection")
            return step(StepKind.DELEGATED, _NO_COMPLETION)
        completion = self.completion(field_def.type, field_details_list)
        if field_name == "__typename":
            return step(StepKind.TYPENAME, completion)
        plain = _plain_attribute(field_def)
        if plain is not None and not node.arguments:
            attribute, read = plain
            if completion.kind is CompletionKind.LEAF:
                assert completion.leaf is not None
                return step(
                    StepKind.PLAIN_LEAF,
                    completion,
                    attribute=attribute,
                    read=read,
                    coerce=completion.leaf.coerce_output_value,
                )
            return step(
                StepKind.PLAIN,
                completion,
                attribute=attribute,
                read=read,
                needs_info=completion.needs_info,
            )
        direct = _direct_resolver(field_def, self.schema) if not node.arguments else None
        if direct is not None:
            return step(StepKind.DIRECT, completion, needs_info=completion.needs_info, **direct)
        has_arguments = bool(field_def.args or node.arguments)
        return step(
            StepKind.RESOLVER,
            completion,
            resolve=field_def.resolve or self.field_resolver,
            has_arguments=has_arguments,
            constant_arguments=self.constant_arguments(field_def, node) if has_arguments else {},
        )

    def completion(
        self, type_: GraphQLOutputType, field_details_list: FieldDetailsList
    ) -> Completion:
        non_null = isinstance(type_, GraphQLNonNull)
        named: Any = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(named, GraphQLList):
            item = self.completion(named.of_type, field_details_list)
            return Completion(
                CompletionKind.LIST, type_, non_null, item=item, needs_info=item.needs_info
            )
        if is_leaf_type(named):
            return Completion(CompletionKind.LEAF, type_, non_null, leaf=named)
        if isinstance(named, GraphQLObjectType):
            plan = self.subfields(named, field_details_list)
            return Completion(
                CompletionKind.OBJECT,
                type_,
                non_null,
                object_plan=plan,
                needs_info=plan.is_type_of_reads_info,
            )
        if is_abstract_type(named):
            plans = {
                possible: self.subfields(possible, field_details_list)
                for possible in self.schema.get_possible_types(named)
            }
            return Completion(
                CompletionKind.ABSTRACT,
                type_,
                non_null,
                abstract_type=named,
                plans_by_type=plans,
                needs_info=True,  # resolve_type is given the field's info
            )
        raise NotCompiled(f"unexpected output type {type_}")  # pragma: no cover

    def subfields(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> ObjectPlan:
        grouped, defers, _ = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation_node,
            object_type,
            field_details_list,
            self.hide_suggestions,
        )
        if defers:
            raise NotCompiled("@defer")
        return self.object_plan(object_type, grouped)

    def constant_arguments(self, field_def: GraphQLField, node: FieldNode) -> dict[str, Any] | None:
        """The coerced arguments when the request cannot change them; None: per request."""
        if _uses_variables(node.arguments):
            return None
        try:
            values = get_argument_values(
                field_def, node, self.variable_values, None, self.hide_suggestions
            )
        except Exception:
            return None
        if all(isinstance(value, _IMMUTABLE_VALUES) for value in values.values()):
            return values
        return None


# A delegated step is completed by graphql-core; its own completion is never read.
_NO_COMPLETION = Completion(
    CompletionKind.LEAF, GraphQLNonNull(GraphQLString), True, leaf=GraphQLString
)


def _plain_attribute(
    field_def: GraphQLField,
) -> tuple[str, Callable[[Any, str], Any] | None] | None:
    """(attribute, default resolver unless getattr) for a field Strawberry answers by
    reading an attribute: a basic field (no resolver, no field extensions) whose resolver
    is Strawberry's `_get_basic_result`, which calls the default resolver and nothing else."""
    definition = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        not isinstance(definition, StrawberryField)
        or not definition.is_basic_field
        or getattr(field_def.resolve, "__name__", "") != "_get_basic_result"
        or type(definition).get_result is not StrawberryField.get_result
        or field_def.args
    ):
        return None
    default_resolver = definition.default_resolver
    return definition.python_name, None if default_resolver is getattr else default_resolver


def _direct_resolver(field_def: GraphQLField, schema: Any) -> dict[str, Any] | None:
    """How to call a Strawberry resolver without Strawberry's wrapper, when the wrapper
    would do no more than build the Info and pass `self` and it on: the field has no
    arguments, no field extensions and no exception handlers, and the resolver asks for
    no root or parent. None otherwise (the wrapper runs, as under graphql-core)."""
    definition = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    resolve = field_def.resolve
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    if (
        not isinstance(definition, StrawberryField)
        or definition.base_resolver is None
        or definition.extensions
        or type(definition).get_result is not StrawberryField.get_result
        or field_def.args
        or getattr(resolve, "__name__", "") not in ("_resolver", "_async_resolver")
        # The wrapper's own record of the exception handlers it would apply.
        or _closure_value(resolve, "field_exception_handlers") != ()
        or strawberry_schema is None
    ):
        return None
    resolver = definition.base_resolver
    if (
        resolver.arguments
        or resolver.root_parameter is not None
        or resolver.parent_parameter is not None
        or not callable(resolver.wrapped_func)
    ):
        return None
    info_parameter = resolver.info_parameter
    return {
        "function": resolver.wrapped_func,
        "passes_source": resolver.self_parameter is not None,
        "info_parameter": info_parameter.name if info_parameter is not None else None,
        "make_info": strawberry_schema.config.info_class,
        "strawberry_field": definition,
    }


def _closure_value(function: Any, name: str) -> Any:
    code = getattr(function, "__code__", None)
    cells = getattr(function, "__closure__", None) or ()
    if code is None or name not in code.co_freevars:
        return None
    return cells[code.co_freevars.index(name)].cell_contents


def _reads_info(is_type_of: Callable[..., Any]) -> bool:
    """Whether an is_type_of may read its info. Strawberry's own (made for object types
    that implement interfaces) ignore it, so a plain field need not build one."""
    return not (
        getattr(is_type_of, "__module__", "") == "strawberry.schema.schema_converter"
        and getattr(is_type_of, "__name__", "") == "is_type_of"
    )


def _uses_variables(arguments: tuple[ArgumentNode, ...] | None) -> bool:
    return any(_value_uses_variables(argument.value) for argument in arguments or ())


def _value_uses_variables(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_value_uses_variables(item) for item in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_value_uses_variables(item.value) for item in value.fields)
    return False


def condition_variables(fragments: Mapping[str, Any], operation: Any) -> tuple[str, ...]:
    """The variables `@skip(if:)`/`@include(if:)` read anywhere in the operation and the
    document's fragments: the values a plan depends on."""
    found: set[str] = set()
    stack: list[Any] = [operation.selection_set]
    stack.extend(details.definition.selection_set for details in fragments.values())
    while stack:
        selection_set = stack.pop()
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            for directive in selection.directives or ():
                if directive.name.value not in ("skip", "include"):
                    continue
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        found.add(argument.value.name.value)
            stack.append(getattr(selection, "selection_set", None))
    return tuple(sorted(found))
