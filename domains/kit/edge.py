"""What a subgraph served on its own puts between the network and its GraphQL endpoint.

The gateway is the platform's one public edge; a subgraph deployed as its own service is
reached only by the gateway (NetworkPolicies say so in Kubernetes). These checks hold
even when the network is misconfigured:

- `SUBGRAPH_TOKEN`: the subgraph answers `/graphql` only to a request carrying the
  shared token the gateway sends (compared in constant time), over HTTP and on the
  WebSocket handshake of a subscription alike. Required in production;
  mTLS between the pods is the stronger option where the cluster offers it (k8s/README).
- a body-size ceiling, checked on the declared length and on the bytes that arrive;
- a request id: the gateway's when the token proves the request is the gateway's, else
  a new one, in `X-Request-Id` and in masked errors;
- the security headers every response of the platform carries.

Refusals are GraphQL-shaped (`{"errors": [...]}`), as every answer of `/graphql` is.
"""

from __future__ import annotations

import hmac
import uuid

import orjson
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GATEWAY_TOKEN_HEADER = "x-shopgraph-gateway-token"  # noqa: S105 - a header name
REQUEST_ID_HEADER = "x-request-id"

# OWASP's secure headers, as the gateway sends them (gateway/middleware/security_headers.py
# says why each): a subgraph renders nothing, so its CSP allows nothing. A header the
# response already carries is left as it is.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("x-content-type-options", "nosniff"),
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
)


class SecurityHeaders:
    """Adds the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse(send: Send, status: int, message: str, code: str) -> None:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class GatewayOnly:
    """Guards a subgraph's `/graphql`: the gateway's token, a body ceiling, a request id."""

    def __init__(
        self, app: ASGIApp, *, token: str | None, max_body_bytes: int, path: str = "/graphql"
    ) -> None:
        self.app = app
        self._token = token.encode() if token else None
        self._max_body_bytes = max_body_bytes
        self._path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope.get("path") == self._path:
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http" or scope.get("path") != self._path:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        trusted = False
        if self._token is not None:
            given = headers.get(GATEWAY_TOKEN_HEADER.encode(), b"")
            if not hmac.compare_digest(given, self._token):
                await _refuse(
                    send, 401, "This subgraph answers only the gateway.", "UNAUTHENTICATED"
                )
                return
            trusted = True
        declared = headers.get(b"content-length")
        if declared is not None and (
            not declared.isdigit() or int(declared) > self._max_body_bytes
        ):
            await _refuse(
                send,
                413,
                f"The request body exceeds {self._max_body_bytes} bytes.",
                "PAYLOAD_TOO_LARGE",
            )
            return
        forwarded_id = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = forwarded_id if trusted and forwarded_id.isalnum() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        received = 0
        too_large = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max_body_bytes:
                    too_large = True
                    # An empty, final body makes the app fail to parse and stop reading.
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                if too_large:
                    return
                started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            elif too_large and not started:
                return
            await send(message)

        await self.app(scope, counted_receive, send_with_id)
        if too_large and not started:
            await _refuse(
                send,
                413,
                f"The request body exceeds {self._max_body_bytes} bytes.",
                "PAYLOAD_TOO_LARGE",
            )

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Subscriptions (graphql-transport-ws) from the gateway: the token is checked on
        the handshake, before the socket is accepted; a refused handshake is closed with
        4401 (an HTTP 403 to the client, as ASGI answers a close before accept)."""
        headers = dict(scope.get("headers") or [])
        trusted = False
        if self._token is not None:
            given = headers.get(GATEWAY_TOKEN_HEADER.encode(), b"")
            if not hmac.compare_digest(given, self._token):
                await receive()  # websocket.connect
                await send(
                    {
                        "type": "websocket.close",
                        "code": 4401,
                        "reason": "This subgraph answers only the gateway.",
                    }
                )
                return
            trusted = True
        forwarded_id = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = forwarded_id if trusted and forwarded_id.isalnum() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        await self.app(scope, receive, send)
