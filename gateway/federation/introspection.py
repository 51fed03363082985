"""Introspection in the shapes of the October 2021 spec, as graphql-js answers it.

graphql-core 3.3 follows the newer spec draft in its built-in introspection types: the
`includeDeprecated` arguments are `Boolean!`, `@deprecated(reason:)` is `String!`, and
`__DirectiveLocation` has `FRAGMENT_VARIABLE_DEFINITION`. graphql-js 16, and so Apollo's
gateway and router, answer the October 2021 shapes (`Boolean`, `String`, no such
location; and one description's wording). Tools compare schemas by introspection, so the
gateway answers as graphql-js does: its API schema is a :class:`October2021Schema`,
which serves copies of the introspection types and of `@deprecated` in those shapes. The
resolvers are graphql-core's own; only types, descriptions and enum values differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DirectiveLocation,
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLCompositeType,
    GraphQLDeprecatedDirective,
    GraphQLDirective,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    get_named_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef, introspection_types
from graphql.type.schema import GraphQLSchemaKwargs

# Where graphql-js words a description differently (its own typo included).
_DESCRIPTIONS = {
    ("__Schema", "subscriptionType"): (
        "If this server support subscription, the type that subscription operations will "
        "be rooted at."
    ),
}
_LOCATION_DESCRIPTIONS = {"VARIABLE_DEFINITION": "Location adjacent to a variable definition."}
# graphql-js 16 has `__Schema.directives(includeDeprecated: Boolean! = false)` too.
_NULLABLE_INCLUDE_DEPRECATED = {
    ("__Type", "fields"),
    ("__Type", "enumValues"),
    ("__Type", "inputFields"),
    ("__Field", "args"),
    ("__Directive", "args"),
}
_NEWER_LOCATIONS = {DirectiveLocation.FRAGMENT_VARIABLE_DEFINITION.name}


# graphql-core refuses a second type named like a built-in one unless its class says
# otherwise: these copies live only in an October2021Schema, never beside the originals.
class _IntrospectionObjectType(GraphQLObjectType):
    reserved_types: Mapping[str, GraphQLNamedType] = {}


class _IntrospectionEnumType(GraphQLEnumType):
    reserved_types: Mapping[str, GraphQLNamedType] = {}


def _october_2021_types() -> dict[str, GraphQLNamedType]:
    """Copies of graphql-core's introspection types, in graphql-js 16's shapes."""
    types: dict[str, GraphQLNamedType] = {}

    def ref(type_: Any) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return GraphQLNonNull(ref(type_.of_type))
        if isinstance(type_, GraphQLList):
            return GraphQLList(ref(type_.of_type))
        return types.get(type_.name, type_)

    def argument(owner: tuple[str, str], name: str, original: GraphQLArgument) -> GraphQLArgument:
        kwargs = original.to_kwargs()
        if name == "includeDeprecated" and owner in _NULLABLE_INCLUDE_DEPRECATED:
            kwargs["type_"] = GraphQLBoolean  # `Boolean = false`, as in October 2021
        else:
            kwargs["type_"] = ref(original.type)
        return GraphQLArgument(**kwargs)

    def fields_of(original: GraphQLObjectType) -> Any:
        def thunk() -> dict[str, GraphQLField]:
            fields: dict[str, GraphQLField] = {}
            for name, field in original.fields.items():
                kwargs = field.to_kwargs()
                kwargs["type_"] = ref(field.type)
                kwargs["args"] = {
                    n: argument((original.name, name), n, a) for n, a in field.args.items()
                }
                kwargs["description"] = _DESCRIPTIONS.get((original.name, name), field.description)
                fields[name] = GraphQLField(**kwargs)
            return fields

        return thunk

    for name, original in introspection_types.items():
        if isinstance(original, GraphQLObjectType):
            object_kwargs = original.to_kwargs()
            object_kwargs["fields"] = fields_of(original)
            types[name] = _IntrospectionObjectType(**object_kwargs)
        elif name == "__DirectiveLocation":
            assert isinstance(original, GraphQLEnumType)
            values = {
                value_name: GraphQLEnumValue(
                    value.value,
                    description=_LOCATION_DESCRIPTIONS.get(value_name, value.description),
                )
                for value_name, value in original.values.items()
                if value_name not in _NEWER_LOCATIONS
            }
            enum_kwargs = original.to_kwargs()
            enum_kwargs["values"] = values
            types[name] = _IntrospectionEnumType(**enum_kwargs)
        else:
            types[name] = original  # __TypeKind is the same in both
    return types


OCTOBER_2021_TYPES = _october_2021_types()


def _meta_field(original: GraphQLField) -> GraphQLField:
    """`__schema: __Schema!` and `__type(name: String!): __Type`, on the copies."""
    kwargs = original.to_kwargs()
    target: Any = OCTOBER_2021_TYPES[get_named_type(original.type).name]
    kwargs["type_"] = (
        GraphQLNonNull(target) if isinstance(original.type, GraphQLNonNull) else target
    )
    return GraphQLField(**kwargs)


_SCHEMA_FIELD = _meta_field(SchemaMetaFieldDef)
_TYPE_FIELD = _meta_field(TypeMetaFieldDef)

_deprecated = GraphQLDeprecatedDirective.to_kwargs()
_deprecated["args"] = {
    "reason": GraphQLArgument(
        GraphQLString,
        default_value="No longer supported",
        description=GraphQLDeprecatedDirective.args["reason"].description,
    )
}
# `@deprecated(reason: String = "No longer supported")`, nullable as in October 2021.
OCTOBER_2021_DEPRECATED = GraphQLDirective(**_deprecated)


class October2021Schema(GraphQLSchema):
    """A schema that introspects as graphql-js 16 does (see the module docstring)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        kwargs = schema.to_kwargs()
        kwargs["directives"] = tuple(
            OCTOBER_2021_DEPRECATED if directive.name == "deprecated" else directive
            for directive in schema.directives
        )
        super().__init__(**kwargs)
        self.type_map.update(OCTOBER_2021_TYPES)

    def to_kwargs(self) -> GraphQLSchemaKwargs:
        """What a schema derived from this one is built from (a sorted copy, one that
        declares @defer): without the introspection types, which the new schema adds
        itself. Passed on, graphql-js's shapes would clash with graphql-core's by name."""
        kwargs = super().to_kwargs()
        kwargs["types"] = tuple(
            named for named in kwargs["types"] or () if named.name not in introspection_types
        )
        return kwargs

    def get_field(self, parent_type: GraphQLCompositeType, field_name: str) -> GraphQLField | None:
        if field_name == "__schema":
            return _SCHEMA_FIELD if self.query_type is parent_type else None
        if field_name == "__type":
            return _TYPE_FIELD if self.query_type is parent_type else None
        return super().get_field(parent_type, field_name)
