"""One client operation in, one response out: parse, validate, plan, execute."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values

from gateway.federation.executor import PlanExecutor
from gateway.federation.planner import PlanningError, QueryPlan, QueryPlanner, select_operation
from gateway.federation.supergraph import Supergraph
from gateway.federation.transports import Transport


@dataclass
class GatewayResponse:
    status_code: int
    body: dict[str, Any]
    plan: QueryPlan | None = None


# graphql-core quotes names as 'name', graphql-js (and so Apollo's gateway) as "name".
_QUOTED_NAME = re.compile(r"'([^'\s]+)'")


def _error(message: str, code: str, error: GraphQLError | None = None) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted) if error is not None else {"message": message}
    if code in ("GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"):
        formatted["message"] = _QUOTED_NAME.sub(r'"\1"', str(formatted["message"]))
    extensions = dict(formatted.get("extensions") or {})
    extensions.setdefault("code", code)
    formatted["extensions"] = extensions
    return formatted


class _DocumentCache:
    """Parsed and validated documents by source text (bounded, least recently used out)."""

    def __init__(self, size: int = 1000) -> None:
        self._entries: OrderedDict[str, tuple[DocumentNode | None, list[dict[str, Any]]]] = (
            OrderedDict()
        )
        self._size = size

    def get(
        self, source: str, schema: GraphQLSchema
    ) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        entry = self._entries.get(source)
        if entry is not None:
            self._entries.move_to_end(source)
            return entry
        try:
            document = parse(source)
        except GraphQLError as error:
            entry = (None, [_error(error.message, "GRAPHQL_PARSE_FAILED", error)])
        else:
            errors = validate(schema, document)
            entry = (
                (None, [_error(e.message, "GRAPHQL_VALIDATION_FAILED", e) for e in errors])
                if errors
                else (document, [])
            )
        self._entries[source] = entry
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return entry


class Gateway:
    def __init__(
        self,
        supergraph: Supergraph,
        transports: Mapping[str, Transport],
        *,
        timeout: float = 30.0,
        timeouts: Mapping[str, float] | None = None,
    ) -> None:
        missing = set(supergraph.subgraphs) - set(transports)
        if missing:
            raise ValueError(
                f"no transport configured for subgraph(s): {', '.join(sorted(missing))}"
            )
        self.supergraph = supergraph
        self.schema = supergraph.api_schema
        self.planner = QueryPlanner(supergraph)
        self.executor = PlanExecutor(self.schema, transports, timeout=timeout, timeouts=timeouts)
        self._documents = _DocumentCache()

    def plan(self, query: str, operation_name: str | None = None) -> QueryPlan:
        document, errors = self._documents.get(query, self.schema)
        if document is None:
            raise PlanningError("; ".join(error["message"] for error in errors))
        return self.planner.plan(document, operation_name)

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        allowed_operations: tuple[str, ...] = ("query", "mutation"),
    ) -> GatewayResponse:
        document, errors = self._documents.get(query, self.schema)
        if document is None:
            return GatewayResponse(400, {"errors": errors})
        try:
            operation = select_operation(document, operation_name)
        except PlanningError as error:
            return GatewayResponse(400, {"errors": [_error(str(error), "INVALID_GRAPHQL")]})
        if operation.operation.value not in allowed_operations:
            return GatewayResponse(
                405 if operation.operation.value == "mutation" else 400,
                {
                    "errors": [
                        _error(
                            f"{operation.operation.value} operations are not allowed here.",
                            "BAD_REQUEST",
                        )
                    ]
                },
            )
        raw_variables = dict(variables or {})
        coerced = _coerce_variables(self.schema, operation, raw_variables)
        if isinstance(coerced, list):
            return GatewayResponse(400, {"errors": coerced})
        try:
            plan = self.planner.plan(document, operation_name)
        except PlanningError as error:
            return GatewayResponse(500, {"errors": [_error(str(error), "QUERY_PLANNING_FAILED")]})
        body = await self.executor.execute(plan, raw_variables, coerced, headers or {})
        return GatewayResponse(200, body, plan)


def _coerce_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, raw: dict[str, Any]
) -> VariableValues | list[dict[str, Any]]:
    result = get_variable_values(schema, operation.variable_definitions or (), raw)
    if isinstance(result, list):
        return [_error(error.message, "BAD_USER_INPUT", error) for error in result]
    return result
