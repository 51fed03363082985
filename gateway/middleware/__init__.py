"""Pure ASGI middleware of the gateway's edge, one concern each."""
