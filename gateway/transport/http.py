"""Subgraphs over HTTP: requests share pooled keep-alive connections.

For a plain http:// URL those of the gateway's own HTTP/1.1 client (`KeepAliveTransport`,
gateway/transport/keepalive.py, which says why), for https:// and anything else those
of httpx (`HttpTransport`); `http_transport` picks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from gateway.transport.keepalive import HttpError, KeepAliveClient, is_plain_http
from gateway.transport.types import GraphQLResult, SubgraphUnavailable, Transport

# The client's address as the gateway saw it, for subgraphs that throttle per client
# (sign-in). Only the gateway sets it: a client's own is dropped (gateway/pipeline.py).
CLIENT_IP_HEADER = "x-shopgraph-client-ip"

# Headers a subgraph should see: who is asking, from where, and for tracing.
FORWARDED_HEADERS = (
    "authorization",
    "traceparent",
    "tracestate",
    "x-request-id",
    "accept-language",
    CLIENT_IP_HEADER,
)

_STATIC_HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json, application/json",
}


class HttpTransport:
    def __init__(
        self, url: str, client: httpx.AsyncClient, headers: Mapping[str, str] | None = None
    ) -> None:
        self._url = url
        self._client = client
        self._headers = {**_STATIC_HEADERS, **(headers or {})}

    async def fetch(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> GraphQLResult:
        try:
            response = await self._client.post(
                self._url,
                content=orjson.dumps({"query": document, "variables": variables}),
                headers={
                    **self._headers,
                    **{k: v for k, v in headers.items() if k.lower() in FORWARDED_HEADERS},
                },
            )
        except httpx.TimeoutException as error:
            raise SubgraphUnavailable("timed out") from error
        except httpx.HTTPError as error:
            raise SubgraphUnavailable(f"unreachable ({type(error).__name__})") from error
        return _graphql_result(response.status_code, response.content)

    async def aclose(self) -> None:
        return None


class KeepAliveTransport:
    """HTTP to a plain http:// subgraph through the gateway's own keep-alive client."""

    def __init__(
        self, url: str, client: KeepAliveClient, headers: Mapping[str, str] | None = None
    ) -> None:
        self._endpoint = client.endpoint(url, {**_STATIC_HEADERS, **(headers or {})})

    async def fetch(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> GraphQLResult:
        forwarded = []
        for name, value in headers.items():
            if (lowered := name.lower()) in FORWARDED_HEADERS:
                forwarded.append((lowered, value))
        try:
            response = await self._endpoint.post(
                orjson.dumps({"query": document, "variables": variables}),
                forwarded,
                # The planner writes each fetch with its operation keyword first.
                replayable=not document.lstrip().startswith("mutation"),
            )
        except HttpError as error:
            raise SubgraphUnavailable(str(error)) from error
        return _graphql_result(response.status, response.body)

    async def aclose(self) -> None:
        return None


def http_transport(
    url: str,
    client: httpx.AsyncClient,
    keepalive: KeepAliveClient,
    headers: Mapping[str, str] | None = None,
) -> Transport:
    """The transport for a subgraph URL: the keep-alive client for plain http://, else httpx.
    `headers` go with every fetch (the token subgraphs require of the gateway)."""
    # Not httpx where it can be avoided: per fetch it costs the gateway 8 to 50 times the
    # CPU of the keep-alive client (bench/transport.py; keepalive.py says why).
    if is_plain_http(url):
        return KeepAliveTransport(url, keepalive, headers)
    return HttpTransport(url, client, headers)


def _graphql_result(status: int, content: bytes) -> GraphQLResult:
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise SubgraphUnavailable(f"answered HTTP {status} without a GraphQL response") from None
    if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
        raise SubgraphUnavailable(f"answered HTTP {status} without a GraphQL response")
    return body


def http_client(timeout: float = 30.0, max_connections: int = 20) -> httpx.AsyncClient:
    # For https:// subgraphs and the JWKS. Few connections, reused: httpcore scans every
    # pooled connection for each request it hands one to, so its cost grows with the pool
    # times the requests waiting. With 100 connections and 50 concurrent clients that scan
    # was 58% of the gateway's CPU (py-spy) and the listing fell to 21 req/s; with 20 it
    # served 34-44 req/s. The subgraphs behind are single processes: more sockets in
    # flight only queue there.
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
    )


def keepalive_client(timeout: float = 30.0, max_connections: int = 20) -> KeepAliveClient:
    # 20 per subgraph origin, as httpx had 20 in all: checking one out costs the same
    # whatever the pool's size, and the single-process subgraphs only queue the rest.
    return KeepAliveClient(
        timeout=timeout, connect_timeout=min(timeout, 10.0), max_connections=max_connections
    )
