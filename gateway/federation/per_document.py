"""Facts about a parsed document, computed once per document object.

The gateway keeps each checked document it parsed (validation.CheckedDocuments), so a
request for the same text hands the planner the same DocumentNode. What is derived from
it alone (whether it defers anything, the text keying its plan) is then derived once
instead of by walking the whole tree again on every request: those two walks were a
tenth of the gateway's CPU per request in a flash sale's checkouts.

Entries go with their document: they are keyed by the object's id and dropped by a weak
reference's callback when it is collected, so an id reused afterwards finds nothing.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from graphql import DocumentNode

FactT = TypeVar("FactT")


class PerDocument(Generic[FactT]):
    def __init__(self, derive: Callable[[DocumentNode], FactT]) -> None:
        self._derive = derive
        self._facts: dict[int, tuple[weakref.ref[DocumentNode], FactT]] = {}

    def __call__(self, document: DocumentNode) -> FactT:
        key = id(document)
        known = self._facts.get(key)
        if known is not None and known[0]() is document:
            return known[1]
        fact = self._derive(document)
        facts = self._facts

        def forget(_gone: weakref.ref[DocumentNode]) -> None:
            facts.pop(key, None)

        self._facts[key] = (weakref.ref(document, forget), fact)
        return fact

    def __len__(self) -> int:
        return len(self._facts)
