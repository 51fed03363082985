"""Give every request an id: in `request.state.request_id`, the `X-Request-Id` response
header, the headers sent to subgraphs and masked errors, so one id finds every log line.

The id is always the gateway's own: a client-chosen one could collide with another
request's or smuggle text into logs.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from gateway.middleware.base import HttpMiddleware

HEADER = "x-request-id"

# The id of the request being handled, for log lines (see shopgraph.logs).
current_request_id: ContextVar[str | None] = ContextVar("gateway_request_id", default=None)


class RequestId(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)
