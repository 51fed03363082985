"""Time every `/graphql` request and count it by operation and outcome.

The operation label is bounded: the name of a persisted or manifest operation when the
endpoint recognised one (it sets `scope["state"]["operation"]`), `anonymous` otherwise,
never the client's free text.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.metrics import REQUEST_DURATION, REQUESTS, SERVICE
from gateway.middleware.base import HttpMiddleware


class CountRequests(HttpMiddleware):
    def __init__(self, app: ASGIApp, path: str = "/graphql") -> None:
        super().__init__(app)
        self.path = path

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        outcome = {"error": False, "first_body": True}

        async def observe(message: Message) -> None:
            if message["type"] == "http.response.start" and int(message["status"]) >= 500:
                outcome["error"] = True
            elif message["type"] == "http.response.body" and outcome["first_body"]:
                outcome["first_body"] = False
                # Our responses put `errors` first whenever there are any.
                if bytes(message.get("body", b"")).lstrip().startswith(b'{"errors"'):
                    outcome["error"] = True
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            state = scope.get("state") or {}
            operation = str(state.get("operation") or "anonymous")
            status = "error" if outcome["error"] else "ok"
            REQUESTS.labels(service=SERVICE, operation=operation, status=status).inc()
            REQUEST_DURATION.labels(service=SERVICE).observe(time.perf_counter() - started)
