"""The pure ASGI middlewares of the gateway's edge, one concern each: security headers,
the request's trace, request metrics, request ids and the body size limit."""
