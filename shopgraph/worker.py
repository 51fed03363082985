"""`shopgraph worker`: the background workers of some domains, without their subgraphs.

Each domain's workers (outbox relay, event consumer, sweepers, the mail outbox) normally
run inside the process that serves the domain. Running them apart lets them scale and
deploy on their own: as many worker replicas as the event volume needs, while the
subgraphs scale with requests. Every copy is safe to run alongside the others (the relay
claims rows with SKIP LOCKED, consumers share a group, sweepers update conditionally).

With `--port` the process answers `/health`, `/ready` and `/metrics` there (for probes
and Prometheus), never `/graphql`. On SIGTERM or SIGINT the workers stop: each consumer
first commits and acknowledges the entry it is handling; then the pools close and the
process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware

from domains.kit.app import BackgroundWorker, Runtime, SubgraphSpec, run_workers
from domains.kit.config import Settings
from domains.kit.edge import SecurityHeaders
from domains.kit.health import health_routes
from domains.kit.metrics import metrics_routes
from domains.kit.resources import open_resources
from shopgraph.registry import domain, load

logger = logging.getLogger("shopgraph")


def domain_workers(names: Sequence[str]) -> list[BackgroundWorker]:
    specs: list[SubgraphSpec] = [load(f"{domain(name).package}.app:SPEC") for name in names]
    return [worker for spec in specs for worker in spec.workers]


def build_worker_app(settings: Settings, names: Sequence[str]) -> Starlette:
    """The workers of `names` for the app's lifetime, and only the operational routes."""
    workers = domain_workers(names)
    runtime = Runtime(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            runtime.resources = resources
            async with run_workers(workers, resources):
                logger.info(
                    "worker for %s running: %s",
                    ", ".join(names),
                    ", ".join(getattr(worker, "__name__", repr(worker)) for worker in workers),
                )
                yield
                logger.info("worker for %s stopping", ", ".join(names))
            runtime.resources = None

    return Starlette(
        routes=[
            *metrics_routes(production=settings.is_production, token=settings.metrics_token),
            *health_routes(lambda _request: runtime.get()),
        ],
        lifespan=lifespan,
        # The same headers as every other served app (its port is internal, but answers
        # are answers).
        middleware=[Middleware(SecurityHeaders)],
    )


async def run_until_signalled(app: Starlette) -> None:
    """Run the app's lifespan (its workers) until SIGTERM or SIGINT arrives."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with app.router.lifespan_context(app):
            await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
