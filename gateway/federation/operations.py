"""The operation a request runs: chosen from its document by name, its variables
coerced to their declared types, ready to price, plan and run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
)
from graphql.execution.values import VariableValues, get_variable_values

from gateway.errors import formatted_error
from gateway.federation.plan import PlanningError


@dataclass(frozen=True)
class PreparedOperation:
    """A parsed, validated operation with its variables coerced: ready to price and run."""

    document: DocumentNode
    operation: OperationDefinitionNode
    operation_name: str | None
    variables: dict[str, Any]
    coerced: VariableValues

    @property
    def kind(self) -> str:
        return self.operation.operation.value

    @property
    def fragments(self) -> dict[str, FragmentDefinitionNode]:
        return {
            d.name.value: d
            for d in self.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }

    @property
    def root_fields(self) -> list[str]:
        """Every field the operation selects on its root type, through fragments too."""
        fragments = self.fragments
        names: list[str] = []
        pending = list(self.operation.selection_set.selections)
        while pending:
            selection = pending.pop(0)
            if isinstance(selection, FieldNode):
                names.append(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.extend(selection.selection_set.selections)
            elif isinstance(selection, FragmentSpreadNode):
                # Validated, so the fragment exists and spreads do not cycle.
                pending.extend(fragments[selection.name.value].selection_set.selections)
        return names


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise PlanningError(
                "Must provide operation name if query contains multiple operations."
            )
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    raise PlanningError(f'Unknown operation named "{operation_name}".')


def coerce_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, raw: dict[str, Any]
) -> VariableValues | list[dict[str, Any]]:
    result = get_variable_values(schema, operation.variable_definitions or (), raw)
    if isinstance(result, list):
        return [formatted_error(error.message, "BAD_USER_INPUT", error) for error in result]
    return result
