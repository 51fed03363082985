"""The whole platform in one process: the gateway with every subgraph in-process.

This is what `shopgraph serve` runs. The gateway answers at `/graphql` and executes
each subgraph's schema directly (no HTTP between them); each subgraph is also mounted
under `/subgraphs/<name>/graphql` exactly as it is served alone, which is what a
gateway elsewhere (or Apollo's) would call.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from domains.kit.app import LocalSubgraph, Runtime, SubgraphSpec, run_workers
from domains.kit.config import Settings
from domains.kit.health import health_routes
from domains.kit.resources import open_resources
from gateway.app import GatewayConfig, build_gateway_app
from gateway.federation.compose import compose
from shopgraph.registry import DOMAINS, load

logger = logging.getLogger("shopgraph")


def domain_specs() -> dict[str, SubgraphSpec]:
    return {entry.name: load(f"{entry.package}.app:SPEC") for entry in DOMAINS}


def subgraph_sdl_of(spec: SubgraphSpec) -> str:
    result = spec.schema.execute_sync("{ _service { sdl } }")
    assert result.errors is None, result.errors
    assert result.data is not None
    return str(result.data["_service"]["sdl"])


def default_subgraph_url(name: str) -> str:
    """Where a subgraph lives when deployed as its own service (k8s/ service names)."""
    return f"http://{name}:8000/graphql"


def compose_platform(
    specs: Mapping[str, SubgraphSpec], urls: Mapping[str, str] | None = None
) -> str:
    urls = urls or {}
    return compose(
        {
            name: (urls.get(name, default_subgraph_url(name)), subgraph_sdl_of(spec))
            for name, spec in specs.items()
        }
    )


def build_platform_app(settings: Settings) -> Starlette:
    runtime = Runtime(settings)
    specs = domain_specs()
    gateway_app = build_gateway_app(
        GatewayConfig(
            supergraph_sdl=compose_platform(specs),
            subgraphs={name: LocalSubgraph(spec, runtime) for name, spec in specs.items()},
            expose_plans=not settings.is_production,
        )
    )
    subgraph_apps = {
        name: load(f"{spec_package(name)}.app:create_app")(runtime, manage_resources=False)
        for name in specs
    }

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            runtime.resources = resources
            workers = [worker for spec in specs.values() for worker in spec.workers]
            async with (
                run_workers(workers, resources),
                gateway_app.router.lifespan_context(gateway_app),
            ):
                yield
            runtime.resources = None

    routes: list[BaseRoute] = [
        *health_routes(lambda _request: runtime.get()),
        *(make_route(runtime) for spec in specs.values() for make_route in spec.routes),
        *(Mount(f"/subgraphs/{name}", app=app) for name, app in subgraph_apps.items()),
        Mount("/", app=gateway_app),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def spec_package(name: str) -> str:
    return next(entry.package for entry in DOMAINS if entry.name == name)


def build_remote_gateway_app(settings: Settings, urls: Mapping[str, str]) -> Starlette:
    """Only the gateway, in front of subgraphs served elsewhere (`shopgraph subgraph NAME`).

    The supergraph is composed at start-up from what each subgraph reports about itself
    (`_service { sdl }`), so it always matches the running services.
    """
    import httpx

    sdls = {}
    with httpx.Client(timeout=10) as client:
        for name, url in urls.items():
            response = client.post(url, json={"query": "{ _service { sdl } }"})
            response.raise_for_status()
            sdls[name] = (url, str(response.json()["data"]["_service"]["sdl"]))
    return build_gateway_app(
        GatewayConfig(
            supergraph_sdl=compose(sdls),
            subgraphs=dict(urls),
            expose_plans=not settings.is_production,
        )
    )
