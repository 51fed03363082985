"""What every subgraph transport offers the executor: a GraphQL response as a dict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

GraphQLResult = dict[str, Any]


class SubgraphUnavailable(Exception):
    """The subgraph could not be asked or did not answer in a usable way."""


class Transport(Protocol):
    async def fetch(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> GraphQLResult: ...

    async def aclose(self) -> None: ...
