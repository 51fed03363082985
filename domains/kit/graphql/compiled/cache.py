"""Compiled operations, kept per document and operation name like query plans are.

An entry is keyed by the parsed document itself (its identity: Strawberry's parser cache
hands every request of the same text the same document, and the entry keeps it alive, so
its id cannot be reused) and the operation name. It holds one plan per combination of
the `@skip`/`@include` condition variables' values; most documents have none, so one
plan. Both levels are bounded: least recently used documents are dropped, and a document
with more condition combinations than `MAX_CONDITION_VARIANTS` runs the others through
graphql-core.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from domains.kit.graphql.compiled.compiler import (
    NotCompiled,
    compile_operation,
    condition_variables,
)
from domains.kit.graphql.compiled.plan import OperationPlan
from graphql import DocumentNode
from graphql.execution import Executor

MAX_CONDITION_VARIANTS = 16


class CompiledOperation:
    """One document's operation: its plans by condition values, or why it is not compiled."""

    __slots__ = ("_conditions", "_variants", "document", "operation_name")

    def __init__(self, document: DocumentNode, operation_name: str | None) -> None:
        self.document = document
        self.operation_name = operation_name
        self._conditions: tuple[str, ...] | None = None
        self._variants: dict[tuple[Any, ...], OperationPlan | NotCompiled] = {}

    def plan_for(self, executor: Executor[Any]) -> OperationPlan | NotCompiled:
        """The plan for this request's condition values (compiled on first use)."""
        if self._conditions is None:
            self._conditions = condition_variables(executor.fragments, executor.operation)
        coerced = executor.variable_values.coerced
        values = tuple(coerced.get(name) for name in self._conditions)
        if not all(isinstance(value, bool) for value in values):
            # Missing or null: graphql-core reports the argument error itself.
            return NotCompiled("a @skip/@include condition variable without a Boolean value")
        found = self._variants.get(values)
        if found is None:
            if len(self._variants) >= MAX_CONDITION_VARIANTS:
                return NotCompiled("more @skip/@include combinations than are kept")
            try:
                found = compile_operation(executor)
            except NotCompiled as reason:
                found = reason
            self._variants[values] = found
        return found


class OperationCache:
    """Least recently used compiled operations, at most `maxsize` of them."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[int, str | None], CompiledOperation] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, document: DocumentNode, operation_name: str | None) -> CompiledOperation:
        key = (id(document), operation_name)
        entry = self._entries.get(key)
        if entry is not None and entry.document is document:
            self._entries.move_to_end(key)
            return entry
        entry = self._entries[key] = CompiledOperation(document, operation_name)
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
        return entry

    def clear(self) -> None:
        self._entries.clear()
