"""How the gateway reaches a subgraph: in-process, or over HTTP.

In-process, the subgraph's schema is executed directly in this process: no HTTP, no
JSON encoding or decoding. Over HTTP, requests share pooled keep-alive connections.
Either way the executor sees the same thing: a GraphQL response as a dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import httpx
import orjson

GraphQLResult = dict[str, Any]


class SubgraphUnavailable(Exception):
    """The subgraph could not be asked or did not answer in a usable way."""


class LocalSubgraph(Protocol):
    """A subgraph living in this process (see domains.kit.app.LocalSubgraph)."""

    async def execute(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> GraphQLResult: ...


class Transport(Protocol):
    async def fetch(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> GraphQLResult: ...

    async def aclose(self) -> None: ...


class InProcessTransport:
    def __init__(self, subgraph: LocalSubgraph) -> None:
        self._subgraph = subgraph

    async def fetch(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> GraphQLResult:
        return await self._subgraph.execute(document, variables, headers)

    async def aclose(self) -> None:
        return None


# Headers a client sends that a subgraph should see: who is asking, and for tracing.
FORWARDED_HEADERS = (
    "authorization",
    "traceparent",
    "tracestate",
    "x-request-id",
    "accept-language",
)


class HttpTransport:
    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self._url = url
        self._client = client

    async def fetch(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> GraphQLResult:
        try:
            response = await self._client.post(
                self._url,
                content=orjson.dumps({"query": document, "variables": variables}),
                headers={
                    "content-type": "application/json",
                    "accept": "application/graphql-response+json, application/json",
                    **{k: v for k, v in headers.items() if k.lower() in FORWARDED_HEADERS},
                },
            )
        except httpx.TimeoutException as error:
            raise SubgraphUnavailable("timed out") from error
        except httpx.HTTPError as error:
            raise SubgraphUnavailable(f"unreachable ({type(error).__name__})") from error
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise SubgraphUnavailable(
                f"answered HTTP {response.status_code} without a GraphQL response"
            ) from None
        if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
            raise SubgraphUnavailable(
                f"answered HTTP {response.status_code} without a GraphQL response"
            )
        return body

    async def aclose(self) -> None:
        return None


def http_client(timeout: float = 30.0, max_connections: int = 20) -> httpx.AsyncClient:
    # Few connections, reused: httpcore scans every pooled connection for each request it
    # hands one to, so its cost grows with the pool times the requests waiting. With 100
    # connections and 50 concurrent clients that scan was 58% of the gateway's CPU
    # (py-spy) and the listing fell to 21 req/s; with 20 it served 34-44 req/s. The
    # subgraphs behind are single processes: more sockets in flight only queue there.
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
    )
