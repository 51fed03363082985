"""Subscriptions over WebSocket at the GraphQL path: the `graphql-transport-ws` protocol
(graphql-ws), as the protocol document defines it.

The client opens with `connection_init`, whose payload carries its token
(`{"authorization": "Bearer ..."}`, or a bare `token`); the gateway answers
`connection_ack`, or closes with 4403 when the token is refused. Then `subscribe` starts
an operation (`next` ... `complete`, or one `error` when refused), `complete` from the
client ends one, `ping` gets `pong`. Protocol breaches close the socket with the
protocol's codes: 4400 a message it cannot read, 4401 a subscribe before the ack, 4408
no `connection_init` in time, 4409 an id already running, 4429 a second
`connection_init`. The token's expiry closes with 4403, shutdown with 1001, and a client
that does not keep up with its messages with 1013.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from gateway.callers import Credentials
from gateway.clients import CLIENT_KEY_HEADER, FORWARDED_FOR_HEADER
from gateway.errors import Refusal
from gateway.protocol import params_from
from gateway.subscriptions.hub import Close, Connection, Outgoing, SubscriptionHub

logger = logging.getLogger("shopgraph.gateway")

PROTOCOL = "graphql-transport-ws"
BAD_REQUEST = 4400
UNAUTHORIZED = 4401
FORBIDDEN = 4403
UNSUPPORTED_PROTOCOL = 4406
INIT_TIMEOUT = 4408
DUPLICATE_ID = 4409
TOO_MANY_INITS = 4429


class _ProtocolBreach(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class GraphQLWebSocket:
    def __init__(self, hub: SubscriptionHub) -> None:
        self.hub = hub

    async def handle(self, websocket: WebSocket) -> None:
        if PROTOCOL not in websocket.scope.get("subprotocols", ()):
            await websocket.close(UNSUPPORTED_PROTOCOL, f"Use the {PROTOCOL} subprotocol.")
            return
        if self.hub.draining:
            await websocket.close(1001, "The gateway is shutting down.")
            return
        await websocket.accept(subprotocol=PROTOCOL)
        try:
            connection = await self._initialise(websocket)
        except _ProtocolBreach as breach:
            await _close(websocket, breach.code, breach.reason)
            return
        except WebSocketDisconnect:
            return
        try:
            await self._serve(websocket, connection)
        finally:
            self.hub.disconnect(connection)

    async def _initialise(self, websocket: WebSocket) -> Connection:
        try:
            async with asyncio.timeout(self.hub.limits.init_timeout_seconds):
                while True:
                    message = await _receive(websocket)
                    kind = message.get("type")
                    if kind == "connection_init":
                        break
                    if kind == "ping":
                        await websocket.send_text('{"type":"pong"}')
                    elif kind != "pong":
                        raise _ProtocolBreach(UNAUTHORIZED, "Unauthorized")
        except TimeoutError:
            raise _ProtocolBreach(INIT_TIMEOUT, "Connection initialisation timeout") from None
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            raise _ProtocolBreach(BAD_REQUEST, "The connection_init payload must be an object.")
        request_id = str(websocket.scope.get("state", {}).get("request_id", "-"))
        try:
            connection = await self.hub.connect(
                _credentials(websocket, payload), websocket.headers, request_id
            )
        except Refusal as refusal:
            raise _ProtocolBreach(FORBIDDEN, _reason(refusal)) from None
        await websocket.send_text('{"type":"connection_ack"}')
        return connection

    async def _serve(self, websocket: WebSocket, connection: Connection) -> None:
        writer = asyncio.create_task(_write(websocket, connection))
        reader = asyncio.create_task(self._read(websocket, connection))
        abandoned = asyncio.create_task(connection.abandoned.wait())
        tasks = {writer, reader, abandoned}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if abandoned.done() and connection.closing is not None:
                writer.cancel()
                # The client is not reading: the close frame may never leave either.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(self.hub.limits.drain_seconds):
                        await websocket.close(connection.closing.code, connection.closing.reason)
            elif reader.done() and not writer.done():
                # The client left or broke the protocol: the writer says why, if it can.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(self.hub.limits.drain_seconds):
                        await writer
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _read(self, websocket: WebSocket, connection: Connection) -> None:
        try:
            while connection.closing is None:
                await self._on_message(connection, await _receive(websocket))
        except _ProtocolBreach as breach:
            connection.close(breach.code, breach.reason)
        except WebSocketDisconnect:
            connection.close(1000, "The client went away.", flush=False)

    async def _on_message(self, connection: Connection, message: Mapping[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ping":
            connection.send(("pong", "", None))
        elif kind == "pong":
            pass
        elif kind == "connection_init":
            raise _ProtocolBreach(TOO_MANY_INITS, "Too many initialisation requests")
        elif kind == "subscribe":
            await self._subscribe(connection, message)
        elif kind == "complete":
            self.hub.unsubscribe(connection, _operation_id(message))
        else:
            raise _ProtocolBreach(BAD_REQUEST, f"Unknown message type {kind!r}.")

    async def _subscribe(self, connection: Connection, message: Mapping[str, Any]) -> None:
        operation_id = _operation_id(message)
        if operation_id in connection.tasks:
            raise _ProtocolBreach(DUPLICATE_ID, f"Subscriber for {operation_id} already exists")
        payload = message.get("payload")
        if not isinstance(payload, dict):
            raise _ProtocolBreach(BAD_REQUEST, "A subscribe message needs a payload object.")
        try:
            await self.hub.subscribe(connection, operation_id, params_from(payload))
        except Refusal as refusal:
            connection.send(("error", operation_id, refusal.errors))


def _credentials(websocket: WebSocket, payload: Mapping[str, Any]) -> Credentials:
    """The token from connection_init (browsers cannot set a WebSocket's headers), else
    the upgrade request's Authorization header."""
    authorization = payload.get("authorization") or payload.get("Authorization")
    token = payload.get("token")
    if not isinstance(authorization, str) and isinstance(token, str) and token:
        authorization = f"Bearer {token}"
    if not isinstance(authorization, str):
        authorization = websocket.headers.get("authorization")
    headers = websocket.headers
    return Credentials(
        authorization=(authorization or "").strip() or None,
        client_key=headers.get(CLIENT_KEY_HEADER, "").strip(),
        peer=websocket.client.host if websocket.client else "unknown",
        forwarded_for=",".join(headers.getlist(FORWARDED_FOR_HEADER)) or None,
    )


def _operation_id(message: Mapping[str, Any]) -> str:
    operation_id = message.get("id")
    if not isinstance(operation_id, str) or not operation_id:
        raise _ProtocolBreach(BAD_REQUEST, f"A {message.get('type')} message needs a string id.")
    return operation_id


async def _receive(websocket: WebSocket) -> dict[str, Any]:
    raw = await websocket.receive_text()
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _ProtocolBreach(BAD_REQUEST, "Invalid message received: not JSON.") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise _ProtocolBreach(BAD_REQUEST, "Invalid message received: no type.")
    return message


async def _write(websocket: WebSocket, connection: Connection) -> None:
    while True:
        message = await connection.outbox.get()
        if isinstance(message, Close):
            await _close(websocket, message.code, message.reason)
            return
        await websocket.send_text(_frame(message))


def _frame(message: Outgoing) -> str:
    assert not isinstance(message, Close)
    kind, operation_id, payload = message
    if kind == "pong":
        return '{"type":"pong"}'
    framed: dict[str, Any] = {"id": operation_id, "type": kind}
    if payload is not None:
        framed["payload"] = payload
    return orjson.dumps(framed).decode()


def _reason(refusal: Refusal) -> str:
    # A close reason is at most 123 bytes.
    return str(refusal.errors[0].get("message", "Forbidden")).encode()[:123].decode(errors="ignore")


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code, reason.encode()[:123].decode(errors="ignore"))
