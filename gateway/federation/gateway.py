"""One client operation in, one response out: parse, validate, plan, execute."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values

from gateway.errors import graphql_error
from gateway.federation.executor import PlanExecutor
from gateway.federation.planner import PlanningError, QueryPlan, QueryPlanner, select_operation
from gateway.federation.supergraph import Supergraph
from gateway.limits import Limits
from gateway.limits.cost import operation_cost
from gateway.limits.document import check_document, list_size_error, longest_list
from gateway.transport.types import Transport


@dataclass
class GatewayResponse:
    status_code: int
    body: dict[str, Any]
    plan: QueryPlan | None = None


@dataclass(frozen=True)
class DocumentPolicy:
    """What a document must satisfy beyond the schema; the defaults check nothing more."""

    limits: Limits | None = None
    introspection: bool = True
    # Validation's "Did you mean ...?" reveals the schema as introspection would.
    hide_suggestions: bool = False


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
    """Parsed and checked documents by source text (bounded, least recently used out)."""

    def __init__(self, schema: GraphQLSchema, policy: DocumentPolicy, size: int = 1000) -> None:
        self._entries: OrderedDict[str, tuple[DocumentNode | None, list[dict[str, Any]]]] = (
            OrderedDict()
        )
        self._schema = schema
        self._policy = policy
        self._size = size

    def get(self, source: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        entry = self._entries.get(source)
        if entry is not None:
            self._entries.move_to_end(source)
            return entry
        entry = self._check(source)
        self._entries[source] = entry
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return entry

    def _check(self, source: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        limits = self._policy.limits
        try:
            document = parse(source, max_tokens=limits.max_tokens if limits else None)
        except GraphQLError as error:
            return None, [_parse_error(error, limits)]
        if limits is not None or not self._policy.introspection:
            # Shape limits first: they are linear, and keep a hostile document away from
            # validation rules that are not.
            refused = check_document(
                document, limits or _UNLIMITED, introspection=self._policy.introspection
            )
            if refused:
                return None, refused
        errors = validate(self._schema, document, hide_suggestions=self._policy.hide_suggestions)
        if errors:
            return None, [_error(e.message, "GRAPHQL_VALIDATION_FAILED", e) for e in errors]
        return document, []


_UNLIMITED = Limits(
    max_depth=2**31,
    max_aliases=2**31,
    max_field_repeats=2**31,
    max_directives=2**31,
    max_list_size=2**31,
)


def _parse_error(error: GraphQLError, limits: Limits | None) -> dict[str, Any]:
    # The parser enforces the token limit, and its own nesting limit (the recursion
    # limit of the interpreter); both are limits, not typos, so they say so.
    if limits is not None and "tokens. Parsing aborted" in error.message:
        return graphql_error(
            f"The document has more than {limits.max_tokens} tokens.",
            "MAX_TOKENS_EXCEEDED",
            maxTokens=limits.max_tokens,
        )
    if "nested too deeply" in error.message:
        return _error(error.message, "MAX_DEPTH_EXCEEDED", error)
    return _error(error.message, "GRAPHQL_PARSE_FAILED", error)


class Gateway:
    def __init__(
        self,
        supergraph: Supergraph,
        transports: Mapping[str, Transport],
        *,
        timeout: float = 30.0,
        timeouts: Mapping[str, float] | None = None,
        policy: DocumentPolicy | None = None,
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
        self.policy = policy or DocumentPolicy()
        self._documents = _DocumentCache(self.schema, self.policy)

    def plan(self, query: str, operation_name: str | None = None) -> QueryPlan:
        document, errors = self._documents.get(query)
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
        prepared = self.prepare(
            query, variables, operation_name, allowed_operations=allowed_operations
        )
        if isinstance(prepared, GatewayResponse):
            return prepared
        return await self.run(prepared, headers or {})

    def prepare(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        allowed_operations: tuple[str, ...] = ("query", "mutation"),
    ) -> PreparedOperation | GatewayResponse:
        """Parse, check and validate the document, pick the operation, coerce variables."""
        document, errors = self._documents.get(query)
        if document is None:
            return GatewayResponse(400, {"errors": errors})
        try:
            operation = select_operation(document, operation_name)
        except PlanningError as error:
            return GatewayResponse(400, {"errors": [_error(str(error), "INVALID_GRAPHQL")]})
        kind = operation.operation.value
        if kind not in allowed_operations:
            # Only GET narrows the operations (a mutation must not ride on a cacheable,
            # replayable request), so the way out is always the same: POST.
            message = (
                f"{kind} operations cannot be sent with GET: send them with POST."
                if kind == "mutation"
                else f"{kind} operations are not supported by this endpoint."
            )
            return GatewayResponse(
                405 if kind == "mutation" else 400, {"errors": [_error(message, "BAD_REQUEST")]}
            )
        raw_variables = dict(variables or {})
        limits = self.policy.limits
        if limits is not None and (size := longest_list(raw_variables)) > limits.max_list_size:
            return GatewayResponse(400, {"errors": [list_size_error(size, limits.max_list_size)]})
        coerced = _coerce_variables(self.schema, operation, raw_variables)
        if isinstance(coerced, list):
            return GatewayResponse(400, {"errors": coerced})
        return PreparedOperation(document, operation, operation_name, raw_variables, coerced)

    def cost(self, prepared: PreparedOperation) -> int:
        return operation_cost(
            self.schema, prepared.fragments, prepared.operation, prepared.coerced.coerced
        )

    async def run(self, prepared: PreparedOperation, headers: Mapping[str, str]) -> GatewayResponse:
        try:
            plan = self.planner.plan(prepared.document, prepared.operation_name)
        except PlanningError as error:
            return GatewayResponse(500, {"errors": [_error(str(error), "QUERY_PLANNING_FAILED")]})
        body = await self.executor.execute(plan, prepared.variables, prepared.coerced, headers)
        return GatewayResponse(200, body, plan)


def _coerce_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, raw: dict[str, Any]
) -> VariableValues | list[dict[str, Any]]:
    result = get_variable_values(schema, operation.variable_definitions or (), raw)
    if isinstance(result, list):
        return [_error(error.message, "BAD_USER_INPUT", error) for error in result]
    return result
