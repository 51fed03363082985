"""The in-process transport: the subgraph's schema is executed directly in this process,
with no HTTP and no JSON encoding or decoding."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from gateway.transport.types import GraphQLResult


class LocalSubgraph(Protocol):
    """A subgraph living in this process (see domains.kit.app.LocalSubgraph)."""

    async def execute(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> GraphQLResult: ...


class InProcessTransport:
    def __init__(self, subgraph: LocalSubgraph) -> None:
        self._subgraph = subgraph

    async def fetch(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> GraphQLResult:
        return await self._subgraph.execute(document, variables, headers)

    async def aclose(self) -> None:
        return None
