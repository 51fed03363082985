"""Subscription clients for tests: graphql-ws (graphql-transport-ws over a real WebSocket)
and GraphQL over SSE (distinct connections, a real HTTP stream)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response as WSResponse
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

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
) -> tuple[int, list[tuple[str, Any]]]:
    """POST a subscription accepting text/event-stream: the status and the events
    (name, parsed data) to the end of the stream."""
    headers = {"accept": "text/event-stream"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    body = {"query": query, "variables": variables or {}}
    events: list[tuple[str, Any]] = []
    async with http.stream("POST", path, json=body, headers=headers) as response:
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            await response.aread()
            return response.status_code, [("response", response.json())]
        # Read to the end (the server ends the stream after `complete`): leaving httpx's
        # line iterator early would leave its generators for the loop to finalise.
        async for name, data in _parse_events(response.aiter_lines()):
            events.append((name, data))
    return response.status_code, events


async def _parse_events(lines: AsyncIterator[str]) -> AsyncGenerator[tuple[str, Any], None]:
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


class StalledClient:
    """A graphql-ws client on a plain socket that reads only when told to: a slow client
    whose unread messages fill the socket's buffers (a WebSocket library reads on)."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("http://", "ws://", 1)
        self.protocol = ClientProtocol(parse_uri(self.url), subprotocols=[Subprotocol(PROTOCOL)])
        self.protocol.max_size = None

    async def open(self, *messages: dict[str, Any]) -> None:
        """Connect, initialise, send `messages`; then stop reading."""
        host, _, port = self.url.removeprefix("ws://").partition("/")[0].partition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        self.reader, self.writer = await asyncio.open_connection(sock=sock, limit=4096)
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        while self.protocol.handshake_exc is None and not self._handshake_done():
            self.protocol.receive_data(await self.reader.read(4096))
        for message in ({"type": "connection_init", "payload": {}}, *messages):
            self.protocol.send_text(json.dumps(message).encode())
        self._flush()
        await self.writer.drain()

    def _handshake_done(self) -> bool:
        return any(isinstance(event, WSResponse) for event in self.protocol.events_received())

    def _flush(self) -> None:
        self.writer.write(b"".join(self.protocol.data_to_send()))

    async def read_to_close(self) -> tuple[int, int]:
        """Read everything now: (messages received, close code)."""
        received = 0
        while True:
            data = await self.reader.read(2**20)
            if not data:
                self.protocol.receive_eof()
            else:
                self.protocol.receive_data(data)
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode == Opcode.TEXT:
                    received += 1
            self._flush()
            if self.protocol.close_rcvd is not None or not data:
                code = self.protocol.close_rcvd.code if self.protocol.close_rcvd else 1006
                self.writer.close()
                return received, code


async def sse_stream(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None,
    token: str | None,
    into: list[tuple[str, Any]],
    *,
    path: str = "/graphql",
) -> None:
    """Follow a subscription over SSE, appending each (event, data) to `into`, until the
    stream ends or the task is cancelled."""
    headers = {"accept": "text/event-stream"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    body = {"query": query, "variables": variables or {}}
    async with http.stream("POST", path, json=body, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        async for event in _parse_events(response.aiter_lines()):
            into.append(event)
