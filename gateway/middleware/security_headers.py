"""OWASP's secure headers on every response of the edge.

A JSON API renders nothing, so its Content-Security-Policy allows nothing; GraphiQL's
page sets its own, which its bundled assets satisfy (gateway/graphiql). HSTS is sent on
every answer: browsers ignore it over plain HTTP, and behind TLS it keeps the next visit
on TLS. A header the response already carries is left as it is.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from gateway.middleware.base import HttpMiddleware

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("x-content-type-options", "nosniff"),
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
)


class SecurityHeaders(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
