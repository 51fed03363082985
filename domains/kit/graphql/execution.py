"""graphql-core's executor with a short path for plain leaf fields.

Most fields of an answer are plain attributes holding a scalar or an enum value: a
product's `id`, `name` and `slug`, a price's `amount` and `currency`. For each one
graphql-core still builds a resolve-info object (Strawberry's, with a dozen members),
the list of its field nodes, looks for arguments, calls Strawberry's resolver for basic
fields and dispatches the completion by type: most of the per-field cost, for a
`getattr` and a scalar coercion. A listing of 24 products resolves about 450 fields.

`LeafShortcutExecutor` answers such a field directly: when the field is a Strawberry
basic field (no resolver, no extensions, so Strawberry itself would only `getattr` the
attribute), its type is a scalar or enum (nullable or not), the selection has no
arguments and no field middleware is installed, it reads the attribute and coerces it
with the type's own `coerce_output_value`, exactly as the full path would. Anything
else, and any value the short path does not answer cleanly (a null in a non-null field,
a value the scalar refuses, an awaitable), goes through graphql-core's `execute_field`
unchanged, so errors, paths and null propagation are graphql-core's own.
"""

from __future__ import annotations

from typing import Any, Final

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from graphql.pyutils import AwaitableOrValue, Path

_NOT_SHORT: Final = object()
_Shortcut = tuple[str, GraphQLScalarType | GraphQLEnumType, bool]

# (object type, field name) -> (attribute, leaf type, nullable), or None for the full
# path. Types live as long as their schema, which lives as long as the process.
_shortcuts: dict[tuple[GraphQLObjectType, str], _Shortcut | None] = {}


def _shortcut(parent_type: GraphQLObjectType, field_name: str) -> _Shortcut | None:
    key = (parent_type, field_name)
    try:
        return _shortcuts[key]
    except KeyError:
        pass
    found: _Shortcut | None = None
    field_def = parent_type.fields.get(field_name)
    if field_def is not None:
        definition = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        field_type = field_def.type
        nullable = not isinstance(field_type, GraphQLNonNull)
        leaf = field_type if nullable else field_type.of_type
        resolver = field_def.resolve
        if (
            definition is not None
            and getattr(definition, "is_basic_field", False)
            # Strawberry's own resolver for a basic field: getattr, nothing more.
            and getattr(resolver, "__name__", "") == "_get_basic_result"
            and isinstance(leaf, GraphQLScalarType | GraphQLEnumType)
        ):
            found = (definition.python_name, leaf, nullable)
    _shortcuts[key] = found
    return found


class LeafShortcutExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        node = field_details_list[0].node
        middleware = self.middleware_manager
        if not node.arguments and (middleware is None or not middleware._middleware_resolvers):
            shortcut = _shortcut(parent_type, node.name.value)
            if shortcut is not None:
                answer = _leaf_answer(source, shortcut, self.is_awaitable)
                if answer is not _NOT_SHORT:
                    return answer
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


def _leaf_answer(source: Any, shortcut: _Shortcut, is_awaitable: Any) -> Any:
    attribute, leaf, nullable = shortcut
    value = getattr(source, attribute, Undefined)
    if value is None:
        return None if nullable else _NOT_SHORT
    if value is Undefined or is_awaitable(value):
        return _NOT_SHORT
    try:
        coerced = leaf.coerce_output_value(value)
    except Exception:  # the full path raises it again, located, as graphql-core does
        return _NOT_SHORT
    if coerced is None or coerced is Undefined:
        return _NOT_SHORT
    return coerced
