"""What an operation costs: one per object it asks for, multiplied by page sizes.

A field returning an object (or a list of them) costs 1 plus what is selected below it;
leaves (scalars, enums) cost nothing. A `first` or `last` argument multiplies the whole
subtree, so `products(first: 50) { edges { node { seller { shopName } } } }` costs
50 x (1 + 1 + 1 + 1) = 200: the rows a subgraph would load. The argument's value comes
from the literal, the variable, or the schema's default (`products(first: Int = 20)`).
Lists without a page size count once: their length is the data's, not the client's,
choice. Type conditions are summed, an upper bound for abstract types.

The same price weighs a request against the rate limit (`gateway/ratelimit.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from graphql.utilities.coerce_input_value import coerce_default_value

PAGE_SIZE_ARGUMENTS = ("first", "last")


@dataclass
class _Pricing:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    by_fragment: dict[str, int] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)

    def selection_set(self, parent: GraphQLNamedType, selection_set: SelectionSetNode) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(inner or parent, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> int:
        if name in self.by_fragment:
            return self.by_fragment[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return 0
        self.in_progress.add(name)
        condition = self.schema.get_type(definition.type_condition.name.value)
        cost = self.selection_set(condition, definition.selection_set) if condition else 0
        self.in_progress.discard(name)
        self.by_fragment[name] = cost
        return cost

    def field(self, parent: GraphQLNamedType, node: FieldNode) -> int:
        definition = self._definition(parent, node.name.value)
        if definition is None or node.selection_set is None:
            return 0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        below = self.selection_set(named, node.selection_set)
        return self._page_size(definition, node) * (1 + below)

    def _definition(self, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        fields: dict[str, GraphQLField] = getattr(parent, "fields", {})
        return fields.get(name)

    def _page_size(self, definition: GraphQLField, node: FieldNode) -> int:
        sizes = [self._argument(definition, node, name) for name in PAGE_SIZE_ARGUMENTS]
        given = [size for size in sizes if size is not None]
        return max(1, *given) if given else 1

    def _argument(self, definition: GraphQLField, node: FieldNode, name: str) -> int | None:
        argument = definition.args.get(name)
        if argument is None:
            return None
        value: Any = coerce_default_value(argument)
        for given in node.arguments or ():
            if given.name.value != name:
                continue
            if isinstance(given.value, IntValueNode):
                value = int(given.value.value)
            elif isinstance(given.value, VariableNode):
                # An absent variable leaves the argument's default in force.
                value = self.variables.get(given.value.name.value, value)
            else:
                value = None
        return value if isinstance(value, int) else None


def operation_cost(
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
) -> int:
    """The cost of a validated operation, given its coerced variables."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _Pricing(schema, fragments, variables).selection_set(root, operation.selection_set)
