"""The gateway as an ASGI app: `build_gateway_app(config) -> Starlette`.

The gateway knows subgraphs only through configuration: a URL (HTTP transport), or an
object that executes the subgraph in this process (in-process transport) handed over by
whoever assembles the platform. It never imports domain code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry.http.ides import get_graphql_ide_html

from gateway.federation.gateway import Gateway
from gateway.federation.plan_printer import plan_as_dict
from gateway.federation.supergraph import Supergraph
from gateway.federation.transports import (
    HttpTransport,
    InProcessTransport,
    LocalSubgraph,
    Transport,
    http_client,
)

logger = logging.getLogger("shopgraph.gateway")

PLAN_HEADER = "x-shopgraph-plan"


@dataclass
class GatewayConfig:
    supergraph_sdl: str
    # name -> URL (HTTP) or an in-process subgraph.
    subgraphs: Mapping[str, str | LocalSubgraph]
    subgraph_timeout: float = 30.0
    # Per-subgraph limits, overriding subgraph_timeout.
    subgraph_timeouts: Mapping[str, float] = field(default_factory=dict)
    expose_plans: bool = False
    extra_routes: list[BaseRoute] = field(default_factory=list)


def build_transports(config: GatewayConfig, client: httpx.AsyncClient) -> dict[str, Transport]:
    transports: dict[str, Transport] = {}
    for name, target in config.subgraphs.items():
        transports[name] = (
            HttpTransport(target, client) if isinstance(target, str) else InProcessTransport(target)
        )
    return transports


def _json(body: dict[str, Any], status_code: int) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def build_gateway_app(config: GatewayConfig) -> Starlette:
    supergraph = Supergraph(config.supergraph_sdl)
    client = http_client(timeout=config.subgraph_timeout)
    gateway = Gateway(
        supergraph,
        build_transports(config, client),
        timeout=config.subgraph_timeout,
        timeouts=config.subgraph_timeouts,
    )

    async def graphql(request: Request) -> Response:
        if request.method == "GET":
            if (
                "text/html" in request.headers.get("accept", "")
                and "query" not in request.query_params
            ):
                return HTMLResponse(get_graphql_ide_html(graphql_ide="graphiql"))
            params: Mapping[str, Any] = request.query_params
            variables = params.get("variables")
            try:
                parsed_variables = json.loads(variables) if variables else None
            except ValueError:
                return _json({"errors": [{"message": "`variables` is not valid JSON."}]}, 400)
            query, operation_name = params.get("query"), params.get("operationName")
            allowed: tuple[str, ...] = ("query",)
        else:
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                return _json({"errors": [{"message": "The request body is not valid JSON."}]}, 400)
            if not isinstance(body, dict):
                return _json(
                    {"errors": [{"message": "The request body must be a JSON object."}]}, 400
                )
            query, parsed_variables = body.get("query"), body.get("variables")
            operation_name = body.get("operationName")
            allowed = ("query", "mutation")
        if not isinstance(query, str) or not query.strip():
            return _json({"errors": [{"message": "The request has no `query`."}]}, 400)
        if parsed_variables is not None and not isinstance(parsed_variables, dict):
            return _json({"errors": [{"message": "`variables` must be a JSON object."}]}, 400)
        result = await gateway.execute(
            query,
            parsed_variables,
            operation_name if isinstance(operation_name, str) else None,
            request.headers,
            allowed_operations=allowed,
        )
        if config.expose_plans and request.headers.get(PLAN_HEADER) and result.plan is not None:
            result.body.setdefault("extensions", {})["queryPlan"] = plan_as_dict(result.plan)
        return _json(result.body, result.status_code)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> JSONResponse:
        async def probe(name: str) -> str | None:
            try:
                result = await asyncio.wait_for(
                    gateway.executor.transports[name].fetch("{ __typename }", {}, {}), 2.0
                )
            except Exception as error:
                return f"{type(error).__name__}: {error}"
            return None if result.get("data") else "no data"

        names = list(supergraph.subgraphs)
        outcomes = await asyncio.gather(*(probe(name) for name in names))
        checks = {
            n: "ok" if o is None else f"failing: {o}" for n, o in zip(names, outcomes, strict=True)
        }
        failing = [n for n, o in zip(names, outcomes, strict=True) if o is not None]
        status = 503 if failing else 200
        body: dict[str, Any] = {"status": "unavailable" if failing else "ready", "checks": checks}
        if failing:
            body["failing"] = failing
        return JSONResponse(body, status_code=status)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await client.aclose()

    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        *config.extra_routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.gateway = gateway
    return app


GatewayAppFactory = Callable[[GatewayConfig], Starlette]
