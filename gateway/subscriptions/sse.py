"""Subscriptions over Server-Sent Events at the GraphQL path: GraphQL over SSE in its
"distinct connections" mode, one subscription per request.

A POST (JSON body) or GET (URL parameters) that accepts `text/event-stream` and carries
a subscription is answered with a stream: an `event: next` for every result and one
`event: complete` at the end. The token is the request's Authorization header. A
refusal before the stream starts is an ordinary GraphQL error response with its status.
Once streaming, the token's expiry or a client too slow for its messages ends the
stream with an error result and `complete`; shutdown ends it with `complete`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.caching import NO_STORE
from gateway.callers import Credentials
from gateway.clients import CLIENT_KEY_HEADER, FORWARDED_FOR_HEADER
from gateway.errors import graphql_error
from gateway.subscriptions.hub import GOING_AWAY, Close, Connection, SubscriptionHub

EVENT_STREAM = "text/event-stream"
# A comment line now and then keeps proxies from closing an idle stream.
KEEP_ALIVE_SECONDS = 15.0
_OPERATION_ID = "sse"


def wants_event_stream(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(part.partition(";")[0].strip().lower() == EVENT_STREAM for part in accept.split(","))


def credentials_of(request: Request) -> Credentials:
    headers = request.headers
    return Credentials(
        authorization=headers.get("authorization", "").strip() or None,
        client_key=headers.get(CLIENT_KEY_HEADER, "").strip(),
        peer=request.client.host if request.client else "unknown",
        forwarded_for=",".join(headers.getlist(FORWARDED_FOR_HEADER)) or None,
    )


class EventStream(Response):
    """The stream of one subscription already started on `connection`."""

    def __init__(self, hub: SubscriptionHub, connection: Connection) -> None:
        self.hub = hub
        self.connection = connection
        self.status_code = 200
        self.background = None
        self.init_headers(
            {
                **NO_STORE,
                "content-type": f"{EVENT_STREAM}; charset=utf-8",
                "x-accel-buffering": "no",
            }
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = self.connection
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            writer = asyncio.create_task(self._write(send))
            watcher = asyncio.create_task(_disconnected(receive))
            abandoned = asyncio.create_task(connection.abandoned.wait())
            tasks = {writer, watcher, abandoned}
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self.hub.disconnect(connection)

    async def _write(self, send: Send) -> None:
        outbox = self.connection.outbox
        while True:
            try:
                async with asyncio.timeout(KEEP_ALIVE_SECONDS):
                    message = await outbox.get()
            except TimeoutError:
                await _chunk(send, ":\n\n")
                continue
            if isinstance(message, Close):
                if message.code != GOING_AWAY:
                    error = graphql_error(message.reason, _close_code(message.code))
                    await _chunk(send, _event("next", {"errors": [error]}))
                break
            kind, _id, payload = message
            if kind == "next":
                await _chunk(send, _event("next", payload))
            elif kind == "error":
                await _chunk(send, _event("next", {"errors": payload}))
                break
            elif kind == "complete":
                break
        await _chunk(send, "event: complete\ndata:\n\n")
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _close_code(code: int) -> str:
    return {4403: "UNAUTHENTICATED", 1013: "SLOW_CLIENT"}.get(code, "CLOSED")


def _event(name: str, payload: Any) -> str:
    return f"event: {name}\ndata: {orjson.dumps(payload).decode()}\n\n"


async def _chunk(send: Send, text: str) -> None:
    await send({"type": "http.response.body", "body": text.encode(), "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def start_stream(hub: SubscriptionHub, connection: Connection, params: Any) -> EventStream:
    """The stream, once the subscription started; the hub's Refusal otherwise."""
    try:
        await hub.subscribe(connection, _OPERATION_ID, params)
    except BaseException:
        with contextlib.suppress(Exception):
            hub.disconnect(connection)
        raise
    return EventStream(hub, connection)
