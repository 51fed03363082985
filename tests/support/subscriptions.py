"""Subscription clients for tests: graphql-ws (graphql-transport-ws over a real WebSocket)
and GraphQL over SSE (distinct connections, a real HTTP stream)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

PROTOCOL = "graphql-transport-ws"


@dataclass
class Closed:
    code: int
    reason: str


class GraphQLWS:
    """One graphql-ws connection."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self) -> dict[str, Any] | Closed:
        """The next message, or how the server closed the connection."""
        try:
            raw = await self.connection.recv()
        except websockets.ConnectionClosed as closed:
            rcvd = closed.rcvd
            return Closed(rcvd.code if rcvd else 1006, rcvd.reason if rcvd else "")
        message: dict[str, Any] = json.loads(raw)
        return message

    async def subscribe(
        self, operation_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})

    async def until_done(self, operation_id: str) -> tuple[list[dict[str, Any]], str]:
        """The payloads of `next` for one operation, and how it ended: "complete",
        "error" (its payload then last in the list) or "closed <code>"."""
        payloads: list[dict[str, Any]] = []
        while True:
            message = await self.receive()
            if isinstance(message, Closed):
                return payloads, f"closed {message.code}"
            if message.get("id") != operation_id:
                continue
            if message["type"] == "next":
                payloads.append(message["payload"])
            elif message["type"] == "error":
                payloads.append({"errors": message["payload"]})
                return payloads, "error"
            elif message["type"] == "complete":
                return payloads, "complete"


@contextlib.asynccontextmanager
async def graphql_ws(
    url: str, payload: dict[str, Any] | None = None, *, init: bool = True, **options: Any
) -> AsyncIterator[GraphQLWS]:
    """A connection to `url` (http:// or ws://), acknowledged unless `init` is False."""
    ws_url = url.replace("http://", "ws://", 1)
    async with websockets.connect(ws_url, subprotocols=[PROTOCOL], **options) as connection:
        client = GraphQLWS(connection)
        if init:
            await client.send({"type": "connection_init", "payload": payload or {}})
            ack = await client.receive()
            assert not isinstance(ack, Closed), ack
            assert ack["type"] == "connection_ack", ack
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def sse_events(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    path: str = "/graphql",
    limit: int | None = None,
) -> tuple[int, list[tuple[str, Any]]]:
    """POST a subscription accepting text/event-stream: the status and the events
    (name, parsed data) until `complete`, or until `limit` events."""
    headers = {"accept": "text/event-stream"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    body = {"query": query, "variables": variables or {}}
    events: list[tuple[str, Any]] = []
    async with http.stream("POST", path, json=body, headers=headers) as response:
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            await response.aread()
            return response.status_code, [("response", response.json())]
        async for name, data in _parse_events(response.aiter_lines()):
            events.append((name, data))
            if name == "complete" or (limit is not None and len(events) >= limit):
                break
    return response.status_code, events


async def _parse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, Any]]:
    name, data = "message", ""
    async for line in lines:
        if line == "":
            if data or name != "message":
                yield name, json.loads(data) if data else None
            name, data = "message", ""
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data += line.removeprefix("data:").strip()
