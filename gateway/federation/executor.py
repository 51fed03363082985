"""Running a query plan and shaping the answer.

Fetch results are merged into one plain-dict tree; entity fetches find their entities in
it by response path, send one deduplicated `_entities` call per subgraph per plan step,
and merge each answer into every object it belongs to. The client's response is then
shaped from that tree (shaping.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    execute,
)
from graphql.execution.values import VariableValues
from graphql.language import DocumentNode
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from gateway.federation.plan import (
    FetchNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
)
from gateway.federation.selections import FieldSelection, FragmentSelection, SelectionSet
from gateway.federation.shaping import ResponsePath, shape
from gateway.tracing import tracing_on
from gateway.transport.types import GraphQLResult, SubgraphUnavailable, Transport

tracer = trace.get_tracer("shopgraph.gateway")


@dataclass
class ExecutionState:
    variables: Mapping[str, Any]
    headers: Mapping[str, str]
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)


class PlanExecutor:
    def __init__(
        self,
        schema: GraphQLSchema,
        transports: Mapping[str, Transport],
        *,
        timeout: float = 30.0,
        timeouts: Mapping[str, float] | None = None,
    ) -> None:
        self.schema = schema
        self.transports = transports
        self.timeout = timeout
        self.timeouts = dict(timeouts or {})

    async def execute(
        self,
        plan: QueryPlan,
        variables: Mapping[str, Any],
        coerced_variables: VariableValues,
        headers: Mapping[str, str],
        state: ExecutionState | None = None,
    ) -> dict[str, Any]:
        state = state or ExecutionState(variables, headers)
        await self.run_plan(plan, state)
        return self._respond(plan, coerced_variables, state)

    async def execute_event(
        self,
        plan: QueryPlan,
        rest: PlanNode | None,
        event: GraphQLResult,
        source: str,
        variables: Mapping[str, Any],
        coerced_variables: VariableValues,
        headers: Mapping[str, str],
    ) -> dict[str, Any]:
        """One subscription event: the source subgraph's answer stands for the plan's
        root fetch, and `rest` (its entity fetches) completes it."""
        state = ExecutionState(variables, headers)
        for error in event.get("errors") or ():
            state.errors.append(_subgraph_error(error, source, error.get("path")))
        data = event.get("data")
        if isinstance(data, dict):
            _deep_merge(state.data, data)
            if rest is not None:
                await self._run(rest, state)
        return self._respond(plan, coerced_variables, state)

    def _respond(
        self, plan: QueryPlan, coerced_variables: VariableValues, state: ExecutionState
    ) -> dict[str, Any]:
        introspection = self._introspect(plan, coerced_variables, state)
        data = shape(self.schema, plan, coerced_variables, state.errors, introspection, state.data)
        response: dict[str, Any] = {}
        if state.errors:
            response["errors"] = state.errors
        response["data"] = data
        return response

    async def run_plan(self, plan: QueryPlan, state: ExecutionState) -> None:
        """Run a plan's fetches, merging their answers into `state.data` (not shaped)."""
        if plan.node is not None:
            await self._run(plan.node, state)

    async def _run(self, node: PlanNode, state: ExecutionState) -> None:
        if isinstance(node, SequenceNode):
            for child in node.nodes:
                await self._run(child, state)
        elif isinstance(node, ParallelNode):
            await asyncio.gather(*(self._run(child, state) for child in node.nodes))
        elif node.is_entity_fetch:
            await self._entity_fetch(node, state)
        else:
            await self._root_fetch(node, state)

    async def _call(
        self, fetch: FetchNode, variables: dict[str, Any], state: ExecutionState
    ) -> GraphQLResult | None:
        transport = self.transports[fetch.subgraph]
        if not tracing_on():
            return await self._fetch(transport, fetch, variables, dict(state.headers), state)
        with tracer.start_as_current_span(f"fetch {fetch.subgraph}", kind=SpanKind.CLIENT) as span:
            span.set_attribute("shopgraph.subgraph", fetch.subgraph)
            span.set_attribute("shopgraph.entity_fetch", fetch.is_entity_fetch)
            # The subgraph continues this trace: W3C traceparent, in-process or over HTTP.
            headers = dict(state.headers)
            propagate.inject(headers)
            return await self._fetch(transport, fetch, variables, headers, state)

    async def _fetch(
        self,
        transport: Transport,
        fetch: FetchNode,
        variables: dict[str, Any],
        headers: dict[str, str],
        state: ExecutionState,
    ) -> GraphQLResult | None:
        try:
            async with asyncio.timeout(self.timeouts.get(fetch.subgraph, self.timeout)):
                return await transport.fetch(fetch.document, variables, headers)
        except (SubgraphUnavailable, TimeoutError) as error:
            reason = str(error) or "timed out"
            if isinstance(error, TimeoutError):
                limit = self.timeouts.get(fetch.subgraph, self.timeout)
                reason = f"no answer within {limit:g} s"
            state.errors.append(
                {
                    "message": f'Subgraph "{fetch.subgraph}" failed: {reason}.',
                    "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": fetch.subgraph},
                }
            )
            return None

    def _used_variables(self, fetch: FetchNode, state: ExecutionState) -> dict[str, Any]:
        return {
            name: state.variables[name] for name in fetch.variable_names if name in state.variables
        }

    async def _root_fetch(self, fetch: FetchNode, state: ExecutionState) -> None:
        result = await self._call(fetch, self._used_variables(fetch, state), state)
        if result is None:
            return
        for error in result.get("errors") or ():
            state.errors.append(_subgraph_error(error, fetch.subgraph, error.get("path")))
        data = result.get("data")
        if isinstance(data, dict):
            _deep_merge(state.data, data)

    async def _entity_fetch(self, fetch: FetchNode, state: ExecutionState) -> None:
        representations: list[dict[str, Any]] = []
        index_by_key: dict[bytes, int] = {}
        # For each representation: the objects (and their response paths) it updates.
        owners: list[list[tuple[dict[str, Any], ResponsePath]]] = []
        for target in fetch.targets:
            for entity, path in _collect(state.data, target.path):
                representation_type = target.accepts.get(str(entity.get("__typename")))
                if representation_type is None:
                    continue
                representation = _project(entity, fetch.inputs[representation_type])
                if representation is None:
                    continue  # a key or required field is missing: nothing to ask for
                representation["__typename"] = representation_type
                key = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
                if key not in index_by_key:
                    index_by_key[key] = len(representations)
                    representations.append(representation)
                    owners.append([])
                owners[index_by_key[key]].append((entity, path))
        if not representations:
            return
        variables = {**self._used_variables(fetch, state), "representations": representations}
        result = await self._call(fetch, variables, state)
        if result is None:
            return
        for error in result.get("errors") or ():
            path = error.get("path")
            if isinstance(path, list) and len(path) >= 2 and path[0] == "_entities":
                index = path[1]
                if isinstance(index, int) and 0 <= index < len(owners):
                    for _entity, entity_path in owners[index]:
                        state.errors.append(
                            _subgraph_error(error, fetch.subgraph, [*entity_path, *path[2:]])
                        )
                    continue
            state.errors.append(_subgraph_error(error, fetch.subgraph, None))
        data = result.get("data") or {}
        entities = data.get("_entities") if isinstance(data, dict) else None
        if not isinstance(entities, list):
            return
        for index, entity_data in enumerate(entities[: len(owners)]):
            if isinstance(entity_data, dict):
                # An @interfaceObject subgraph answers with the interface's name instead
                # of the concrete type's: the entity keeps its own __typename then. The
                # interface's owner answers the concrete one, which is kept.
                typename = entity_data.pop("__typename", None)
                concrete = isinstance(self.schema.get_type(str(typename)), GraphQLObjectType)
                for entity, _path in owners[index]:
                    _deep_merge(entity, entity_data)
                    if concrete:
                        entity["__typename"] = typename

    def _introspect(
        self, plan: QueryPlan, variables: VariableValues, state: ExecutionState
    ) -> dict[str, Any]:
        if not plan.introspection:
            return {}
        document = DocumentNode(
            definitions=(
                OperationDefinitionNode(
                    operation=plan.operation.operation,
                    variable_definitions=plan.operation.variable_definitions,
                    selection_set=SelectionSetNode(selections=tuple(plan.introspection)),
                ),
                *plan.fragments.values(),
            )
        )
        result = execute(self.schema, document, variable_values=variables.coerced)
        assert not isinstance(result, asyncio.Future)
        for error in result.errors or ():  # type: ignore[union-attr]
            state.errors.append(dict(error.formatted))
        data: dict[str, Any] = result.data or {}  # type: ignore[union-attr]
        return data


def objects_at(data: Any, path: tuple[str, ...]) -> list[tuple[dict[str, Any], ResponsePath]]:
    """The objects at a plan path in the merged tree, with their response paths."""
    return _collect(data, path)


def _subgraph_error(
    error: Mapping[str, Any], subgraph: str, path: list[Any] | None
) -> dict[str, Any]:
    formatted: dict[str, Any] = {"message": error.get("message", "Subgraph error.")}
    if path:
        formatted["path"] = path
    # As Apollo Gateway words it: a subgraph's own code wins, DOWNSTREAM_SERVICE_ERROR
    # stands in when it gave none.
    extensions = {
        "code": "DOWNSTREAM_SERVICE_ERROR",
        "serviceName": subgraph,
        **(error.get("extensions") or {}),
    }
    formatted["extensions"] = extensions
    return formatted


def _deep_merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            _deep_merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list):
            _merge_lists(existing, value)
        else:
            target[key] = value


def _merge_lists(target: list[Any], source: list[Any]) -> None:
    for index, value in enumerate(source):
        if index >= len(target):
            target.append(value)
        elif isinstance(target[index], dict) and isinstance(value, dict):
            _deep_merge(target[index], value)
        elif isinstance(target[index], list) and isinstance(value, list):
            _merge_lists(target[index], value)
        else:
            target[index] = value


def _collect(
    data: Any, path: tuple[str, ...], prefix: ResponsePath | None = None
) -> list[tuple[dict[str, Any], ResponsePath]]:
    """The objects at a plan path ('@' steps into every list item), with response paths."""
    prefix = prefix or []
    if data is None:
        return []
    if not path:
        if isinstance(data, dict):
            return [(data, prefix)]
        if isinstance(data, list):
            found = []
            for index, item in enumerate(data):
                found.extend(_collect(item, path, [*prefix, index]))
            return found
        return []
    step, rest = path[0], path[1:]
    if step == "@":
        if not isinstance(data, list):
            return []
        found = []
        for index, item in enumerate(data):
            found.extend(_collect(item, rest, [*prefix, index]))
        return found
    if not isinstance(data, dict):
        return []
    return _collect(data.get(step), rest, [*prefix, step])


def _project(entity: Mapping[str, Any], shape: SelectionSet) -> dict[str, Any] | None:
    """Build a representation from an entity: the key and required fields, by name."""
    representation: dict[str, Any] = {}
    for item in shape:
        if isinstance(item, FragmentSelection):
            continue
        assert isinstance(item, FieldSelection)
        if item.response_key not in entity:
            return None
        value = entity[item.response_key]
        if item.selections is not None and value is not None:
            value = _project_value(value, item.selections)
            if value is _MISSING:
                return None
        representation[item.name] = value
    return representation


_MISSING = object()


def _project_value(value: Any, shape: SelectionSet) -> Any:
    if isinstance(value, list):
        items = [_project_value(item, shape) for item in value]
        return _MISSING if any(item is _MISSING for item in items) else items
    if isinstance(value, dict):
        projected = _project(value, shape)
        return _MISSING if projected is None else projected
    return value
