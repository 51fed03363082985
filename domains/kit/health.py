"""Liveness and readiness endpoints, the same on every served app."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from domains.kit.resources import Resources

READINESS_TIMEOUT_SECONDS = 2.0


async def health(request: Request) -> JSONResponse:
    """Liveness: the process is up and serving. It checks nothing else on purpose, so that
    a database outage does not make the orchestrator restart healthy processes."""
    return JSONResponse({"status": "ok"})


async def _probe(check: Callable[[], Awaitable[None]]) -> str | None:
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            await check()
    except Exception as error:  # any failure means "not ready"; the name says which
        return f"{type(error).__name__}: {error}".strip().rstrip(":") or type(error).__name__
    return None


def readiness_route(get_resources: Callable[[Request], Resources]) -> Route:
    async def ready(request: Request) -> JSONResponse:
        resources = get_resources(request)
        postgres, redis = await asyncio.gather(
            _probe(resources.check_postgres), _probe(resources.check_redis)
        )
        checks = {
            "postgres": "ok" if postgres is None else f"failing: {postgres}",
            "redis": "ok" if redis is None else f"failing: {redis}",
        }
        failing = [name for name, error in (("postgres", postgres), ("redis", redis)) if error]
        if failing:
            return JSONResponse(
                {"status": "unavailable", "failing": failing, "checks": checks}, status_code=503
            )
        return JSONResponse({"status": "ready", "checks": checks})

    return Route("/ready", ready, methods=["GET"])


def health_routes(get_resources: Callable[[Request], Resources]) -> list[Route]:
    return [Route("/health", health, methods=["GET"]), readiness_route(get_resources)]
