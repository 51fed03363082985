"""Incremental delivery of `@defer`: the first part as soon as the primary plan is
answered, then a part for each deferred fragment as soon as its own fetches are.

Parts follow the incremental-delivery proposal as Apollo Client 3 reads it
(`deferSpec=20220824`): first `{data, errors?, hasNext: true}`, then
`{incremental: [{data, path, label?, errors?}], hasNext}`, one entry per object the
fragment applies to, the last part with `hasNext: false`. Over HTTP they are the parts
of a `multipart/mixed` body, each followed at once by the next boundary, so a client
parses a part as soon as it arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import orjson
from graphql import (
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSkipDirective,
    SelectionNode,
)
from graphql.execution.values import VariableValues, get_directive_values

from gateway.federation.defer import DeferredFragment, DeferredPlan
from gateway.federation.executor import ExecutionState, PlanExecutor, objects_at
from gateway.federation.shaping import ResponsePath, shape_selection

BOUNDARY = "graphql"
MULTIPART_MIXED = f'multipart/mixed; boundary="{BOUNDARY}"; deferSpec=20220824'
_PART_HEAD = b"content-type: application/json; charset=utf-8\r\n\r\n"

Payload = dict[str, Any]


async def execute_deferred(
    executor: PlanExecutor,
    split: DeferredPlan,
    variables: Mapping[str, Any],
    coerced: VariableValues,
    headers: Mapping[str, str],
) -> tuple[Payload, AsyncIterator[Payload]]:
    """Run the primary plan and shape the first part; the rest runs as it is iterated."""
    state = ExecutionState(variables, headers)
    initial = await executor.execute(split.primary, variables, coerced, headers, state)
    initial["hasNext"] = True
    return initial, _subsequent(executor, split.deferred, state, coerced)


async def _subsequent(
    executor: PlanExecutor,
    fragments: list[DeferredFragment],
    state: ExecutionState,
    coerced: VariableValues,
) -> AsyncIterator[Payload]:
    tasks = [
        asyncio.create_task(_deliver(executor, fragment, state, coerced)) for fragment in fragments
    ]
    try:
        remaining = len(tasks)
        for done in asyncio.as_completed(tasks):
            entries = await done
            remaining -= 1
            payload: Payload = {"hasNext": remaining > 0}
            if entries:
                payload["incremental"] = entries
            yield payload
    finally:
        # A client that goes away leaves no fetch running for it.
        for task in tasks:
            task.cancel()


async def _deliver(
    executor: PlanExecutor,
    fragment: DeferredFragment,
    primary: ExecutionState,
    coerced: VariableValues,
) -> list[Payload]:
    if not _included(fragment.node, coerced):
        return []
    # Its own errors, but the same merged tree: its fetches find their entities there.
    state = ExecutionState(primary.variables, primary.headers, data=primary.data)
    await executor.run_plan(fragment.plan, state)
    schema = executor.schema
    object_type = schema.get_type(fragment.type_name)
    assert isinstance(object_type, GraphQLObjectType)
    entries: list[Payload] = []
    unplaced = [error for error in state.errors if not error.get("path")]
    for data, path in objects_at(primary.data, fragment.path):
        if fragment.path and data.get("__typename") != fragment.type_name:
            continue
        errors = [*unplaced, *(e for e in state.errors if _under(e.get("path"), path))]
        unplaced = []
        shaped = shape_selection(
            schema,
            fragment.plan,
            coerced,
            errors,
            (object_type, fragment.selection_set),
            data,
            path,
        )
        entry: Payload = {"data": shaped, "path": path}
        if errors:
            entry["errors"] = errors
        if fragment.label is not None:
            entry["label"] = fragment.label
        entries.append(entry)
    return entries


def _under(error_path: Any, path: ResponsePath) -> bool:
    return isinstance(error_path, list) and error_path[: len(path)] == path


def _included(node: SelectionNode, variables: VariableValues) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return not (include and include.get("if") is False)


async def map_payloads(
    payloads: AsyncIterator[Payload], change: Callable[[Payload], Payload]
) -> AsyncIterator[Payload]:
    """The same parts, each changed (errors masked in production, say)."""
    async for payload in payloads:
        yield change(payload)


async def multipart_body(initial: Payload, rest: AsyncIterator[Payload]) -> AsyncIterator[bytes]:
    """The parts as a `multipart/mixed` body: boundary, part, boundary, ..., final boundary."""
    delimiter = f"\r\n--{BOUNDARY}".encode()
    yield delimiter + b"\r\n" + _PART_HEAD + orjson.dumps(initial) + delimiter
    async for payload in rest:
        ending = b"--\r\n" if not payload.get("hasNext") else b""
        yield b"\r\n" + _PART_HEAD + orjson.dumps(payload) + delimiter + ending
