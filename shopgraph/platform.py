"""Every subgraph in one process, sharing one set of resources.

This is what `shopgraph serve` runs in development. Each subgraph is mounted under
`/subgraphs/<name>/` exactly as it would be served alone; the users subgraph also
answers at `/graphql` until the federated gateway takes that path.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from domains.kit.app import Runtime, run_workers
from domains.kit.config import Settings
from domains.kit.health import health_routes
from domains.kit.resources import open_resources
from shopgraph.registry import DOMAINS, load

logger = logging.getLogger("shopgraph")


def build_platform_app(settings: Settings) -> Starlette:
    runtime = Runtime(settings)
    specs = [load(f"{entry.package}.app:SPEC") for entry in DOMAINS]
    subgraphs = {
        entry.name: load(entry.app_factory)(runtime, manage_resources=False) for entry in DOMAINS
    }

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            runtime.resources = resources
            workers = [worker for spec in specs for worker in spec.workers]
            async with run_workers(workers, resources):
                yield
            runtime.resources = None

    routes: list[BaseRoute] = [
        *health_routes(lambda _request: runtime.get()),
        *(Mount(f"/subgraphs/{name}", app=app) for name, app in subgraphs.items()),
        Mount("/", app=subgraphs["users"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
