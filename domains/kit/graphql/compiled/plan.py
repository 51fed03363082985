"""The compiled form of one operation: a tree of field steps, made once per document
(compiler.py) and walked for every request (runner.py).

Everything graphql-core works out again for every field of every request is settled
here once: the response key, the field definition, which resolver runs and whether it
needs a resolve info, the arguments when they hold no variable, the message of a null
in a non-null field, and how the value is completed for its type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from graphql import (
    FieldNode,
    GraphQLAbstractType,
    GraphQLField,
    GraphQLFieldResolver,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
)
from graphql.execution.collect_fields import FieldDetailsList


class StepKind(IntEnum):
    """How a field's value is obtained."""

    # A Strawberry basic field holding a scalar or an enum: read the attribute, coerce.
    PLAIN_LEAF = 0
    # A Strawberry basic field holding an object or a list: read the attribute, complete.
    PLAIN = 1
    # Anything with a resolver of its own (or arguments): call it with a resolve info.
    RESOLVER = 2
    # A Strawberry resolver without arguments, field extensions or exception handlers,
    # whose wrapper would only hand it `self` and its Info: called directly.
    DIRECT = 5
    # `__typename`: the parent type's name, known when compiling.
    TYPENAME = 3
    # Left to graphql-core's own `execute_field` (introspection's `__schema`, `__type`).
    DELEGATED = 4


class CompletionKind(IntEnum):
    LEAF = 0
    OBJECT = 1
    ABSTRACT = 2
    LIST = 3


@dataclass(eq=False, slots=True)
class Completion:
    """How a value of one output type is completed (the spec's CompleteValue), with its
    non-null wrapper folded in as `non_null`."""

    kind: CompletionKind
    # The type as declared, wrapper included: what graphql-core's error handling reads.
    graphql_type: GraphQLOutputType
    non_null: bool
    leaf: GraphQLLeafType | None = None
    item: Completion | None = None
    object_plan: ObjectPlan | None = None
    abstract_type: GraphQLAbstractType | None = None
    # Per possible runtime type of an abstract type.
    plans_by_type: Mapping[GraphQLObjectType, ObjectPlan] = field(default_factory=dict)
    # Whether completing a value (an abstract type's resolve_type, an is_type_of that
    # reads it) needs the field's resolve info.
    needs_info: bool = False


@dataclass(eq=False, slots=True)
class FieldStep:
    """One response key of a selection set, merged over its field nodes."""

    kind: StepKind
    key: str
    field_name: str
    field_def: GraphQLField
    parent_type: GraphQLObjectType
    # graphql-core's grouping of the field nodes (errors are located on their nodes).
    field_details_list: FieldDetailsList
    field_nodes: list[FieldNode]
    completion: Completion
    null_message: str
    # PLAIN_LEAF and PLAIN: the attribute, and Strawberry's default resolver when it is
    # not the builtin getattr.
    attribute: str = ""
    read: Callable[[Any, str], Any] | None = None
    # PLAIN_LEAF: the leaf type's coerce_output_value, bound.
    coerce: Callable[[Any], Any] | None = None
    # RESOLVER: what graphql-core would call, and its arguments when they are constant.
    resolve: GraphQLFieldResolver | None = None
    has_arguments: bool = False
    constant_arguments: dict[str, Any] | None = None
    # DIRECT: the resolver function, whether it takes the source as `self`, the name of
    # its Info parameter if any, and what builds that Info (Strawberry's info class).
    function: Callable[..., Any] | None = None
    passes_source: bool = False
    info_parameter: str | None = None
    make_info: Callable[..., Any] | None = None
    strawberry_field: Any = None
    # A PLAIN or DIRECT field whose completion needs a resolve info.
    needs_info: bool = False


@dataclass(eq=False, slots=True)
class ObjectPlan:
    """The steps of one selection set on one concrete object type."""

    object_type: GraphQLObjectType
    type_name: str
    steps: tuple[FieldStep, ...]
    is_type_of: Callable[[Any, Any], Any] | None = None
    is_type_of_reads_info: bool = False


@dataclass(eq=False, slots=True)
class OperationPlan:
    """A compiled operation for one set of `@skip`/`@include` conditions."""

    root: ObjectPlan
    # Mutations run their root fields one after another.
    serial: bool
    # Fields left to graphql-core, as "Type.field: why", for `fallbacks()`.
    delegated: tuple[str, ...] = ()
