"""Where a subscription's events come from: the subgraph that owns its root field, asked
in this process (its schema's `subscribe`) or over graphql-transport-ws when it is
deployed apart.

Between gateway and subgraph we speak graphql-ws rather than Apollo's HTTP callback
protocol: one WebSocket per subscription carries the events in order, and the subgraph
needs no route back to the gateway (a callback URL every subgraph could reach, with its
own heartbeat and verifier). The README says more.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol, cast

import orjson
import websockets
from websockets.asyncio.client import ClientConnection

from gateway.transport.types import GraphQLResult, SubgraphUnavailable

PROTOCOL = "graphql-transport-ws"
ACK_TIMEOUT_SECONDS = 10.0


class SubscriptionSource(Protocol):
    def subscribe(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> AsyncIterator[GraphQLResult]: ...


class SubscribingSubgraph(Protocol):
    """A subgraph in this process that serves subscriptions (domains.kit.app's)."""

    def subscribe(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> AsyncIterator[GraphQLResult]: ...


class InProcessSubscriptions:
    def __init__(self, name: str, subgraph: object) -> None:
        self._name = name
        self._subgraph = subgraph

    async def subscribe(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> AsyncIterator[GraphQLResult]:
        if not callable(getattr(self._subgraph, "subscribe", None)):
            raise SubgraphUnavailable(f"the {self._name} subgraph serves no subscriptions")
        subgraph = cast(SubscribingSubgraph, self._subgraph)
        events = subgraph.subscribe(document, variables, headers)
        try:
            async for event in events:
                yield event
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()


def websocket_url(url: str) -> str:
    """The subgraph's /graphql URL with the WebSocket scheme (http -> ws, https -> wss)."""
    if url.startswith("https://"):
        return "wss://" + url.removeprefix("https://")
    if url.startswith("http://"):
        return "ws://" + url.removeprefix("http://")
    return url


class WebSocketSubscriptions:
    """graphql-transport-ws to a subgraph served on its own: one connection per
    subscription, since each carries its own caller's token."""

    def __init__(self, name: str, url: str, headers: Mapping[str, str]) -> None:
        self._name = name
        self._url = websocket_url(url)
        self._headers = dict(headers)
        self._ids = itertools.count(1)

    async def subscribe(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> AsyncIterator[GraphQLResult]:
        sent = {**headers, **self._headers}
        try:
            connection = await websockets.connect(
                self._url,
                subprotocols=[websockets.Subprotocol(PROTOCOL)],
                additional_headers=sent,
                open_timeout=ACK_TIMEOUT_SECONDS,
                max_size=2**24,
            )
        except (OSError, websockets.WebSocketException, TimeoutError) as error:
            raise SubgraphUnavailable(
                f"the {self._name} subgraph's WebSocket could not be opened: {error}"
            ) from None
        try:
            async for event in self._events(connection, document, variables, sent):
                yield event
        finally:
            with contextlib.suppress(Exception):
                await connection.close()

    async def _events(
        self,
        connection: ClientConnection,
        document: str,
        variables: Mapping[str, Any],
        headers: Mapping[str, str],
    ) -> AsyncIterator[GraphQLResult]:
        # The caller's headers ride in the payload too: browsers' clients can only send
        # them that way, so subgraphs read either.
        await _send(connection, {"type": "connection_init", "payload": dict(headers)})
        try:
            async with asyncio.timeout(ACK_TIMEOUT_SECONDS):
                while (await _receive(connection, self._name)).get("type") != "connection_ack":
                    pass
        except TimeoutError:
            raise SubgraphUnavailable(
                f"the {self._name} subgraph did not acknowledge the connection"
            ) from None
        operation_id = str(next(self._ids))
        payload = {"query": document, "variables": dict(variables)}
        await _send(connection, {"id": operation_id, "type": "subscribe", "payload": payload})
        completed = False
        try:
            while True:
                message = await _receive(connection, self._name)
                kind = message.get("type")
                if kind == "ping":
                    await _send(connection, {"type": "pong"})
                elif kind == "next" and message.get("id") == operation_id:
                    yield cast(GraphQLResult, message.get("payload") or {})
                elif kind == "error" and message.get("id") == operation_id:
                    completed = True
                    yield {"data": None, "errors": list(message.get("payload") or [])}
                    return
                elif kind == "complete" and message.get("id") == operation_id:
                    completed = True
                    return
        finally:
            if not completed:
                with contextlib.suppress(Exception):
                    await _send(connection, {"id": operation_id, "type": "complete"})


async def _send(connection: ClientConnection, message: Mapping[str, Any]) -> None:
    await connection.send(orjson.dumps(message).decode())


async def _receive(connection: ClientConnection, name: str) -> dict[str, Any]:
    try:
        raw = await connection.recv()
    except websockets.ConnectionClosed as closed:
        raise SubgraphUnavailable(
            f"the {name} subgraph closed the subscription's WebSocket "
            f"({closed.rcvd.code if closed.rcvd else 1006}"
            f"{': ' + closed.rcvd.reason if closed.rcvd and closed.rcvd.reason else ''})"
        ) from None
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise SubgraphUnavailable(f"the {name} subgraph sent a message that is not JSON") from None
    if not isinstance(message, dict):
        raise SubgraphUnavailable(f"the {name} subgraph sent a message that is not an object")
    return message
