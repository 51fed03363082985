"""Every subgraph request executed twice, by graphql-core and by the compiled executor,
for the differential tests (tests/federation/test_compiled_differential.py,
tests/domains/kit/test_compiled_executor.py).

A `DifferentialSubgraph` stands where the gateway expects an in-process subgraph. Each
request runs on graphql-core's executor first, then on the compiled one, from the same
starting state (`before_run` sets it up: the topology's in-memory data saved before the
first run and restored before the second, the domains' entity caches emptied before
both so that both read the database), with its own deep copy
of the variables (Strawberry's `_entities` pops `__typename` off each representation).
Both answers are recorded as the JSON the gateway would be sent; the compiled one is
handed back. The pair of runs holds a lock, so concurrent fetches of one plan cannot
interleave their state.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strawberry.types import ExecutionResult

from domains.kit.graphql.compiled import compiled_execution

Execute = Callable[[str, Mapping[str, Any], Mapping[str, str]], Awaitable[dict[str, Any]]]


def as_response(result: ExecutionResult) -> dict[str, Any]:
    """An execution result as a subgraph sends it (domains/kit/app.py's shape)."""
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        response["errors"] = [error.formatted for error in result.errors]
    return response


def encoded(response: Mapping[str, Any]) -> str:
    """The JSON text of a response, keys in answer order: what must be identical."""
    return json.dumps(response, default=str)


@dataclass
class Comparison:
    subgraph: str
    document: str
    variables: dict[str, Any]
    graphql_core: str
    compiled: str
    # SQL statements each run sent, when counted.
    graphql_core_statements: int = 0
    compiled_statements: int = 0

    @property
    def same(self) -> bool:
        return self.graphql_core == self.compiled and (
            self.graphql_core_statements == self.compiled_statements
        )


@dataclass
class Recorder:
    comparisons: list[Comparison] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def differences(self) -> list[Comparison]:
        return [comparison for comparison in self.comparisons if not comparison.same]


class DifferentialSubgraph:
    """A subgraph executing each request on both executors (see the module docstring).

    `graphql_core` and `compiled` execute a request; by default both are `execute` run
    inside `compiled_execution(False)` and `compiled_execution(True)`. `before_run` is
    awaited before each run (told whether it is the first of the pair);
    `count_statements` returns how many SQL statements have been sent so far."""

    def __init__(
        self,
        name: str,
        recorder: Recorder,
        execute: Execute | None = None,
        *,
        graphql_core: Execute | None = None,
        compiled: Execute | None = None,
        before_run: Callable[[bool], Awaitable[None]] | None = None,
        count_statements: Callable[[], int] | None = None,
    ) -> None:
        self.name = name
        self.recorder = recorder
        if execute is not None:
            graphql_core = graphql_core or _inside(execute, compiled=False)
            compiled = compiled or _inside(execute, compiled=True)
        if graphql_core is None or compiled is None:
            raise TypeError("give `execute`, or both `graphql_core` and `compiled`")
        self._graphql_core = graphql_core
        self._compiled = compiled
        self._before_run = before_run
        self._count_statements = count_statements or (lambda: 0)

    async def execute(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        async with self.recorder.lock:
            expected, expected_statements = await self._run(
                self._graphql_core, document, variables, headers, first=True
            )
            actual, actual_statements = await self._run(
                self._compiled, document, variables, headers, first=False
            )
        self.recorder.comparisons.append(
            Comparison(
                subgraph=self.name,
                document=document,
                variables=copy.deepcopy(dict(variables)),
                graphql_core=encoded(expected),
                compiled=encoded(actual),
                graphql_core_statements=expected_statements,
                compiled_statements=actual_statements,
            )
        )
        return actual

    async def _run(
        self,
        execute: Execute,
        document: str,
        variables: Mapping[str, Any],
        headers: Mapping[str, str],
        *,
        first: bool,
    ) -> tuple[dict[str, Any], int]:
        if self._before_run is not None:
            await self._before_run(first)
        before = self._count_statements()
        response = await execute(document, copy.deepcopy(dict(variables)), headers)
        return response, self._count_statements() - before


def _inside(execute: Execute, *, compiled: bool) -> Execute:
    async def run(
        document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        with compiled_execution(compiled):
            return await execute(document, variables, headers)

    return run


def schema_execute(schema: Any) -> Execute:
    """A Strawberry schema executed without a context, as the test topology is."""

    async def run(
        document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        return as_response(await schema.execute(document, variable_values=dict(variables)))

    return run
