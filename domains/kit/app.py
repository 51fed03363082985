"""Serving one domain as a federation subgraph: GraphQL endpoint, health, lifespan.

A subgraph app runs either alone (its own process, its own resources and background
workers) or mounted in-process next to the others, in which case whoever mounts it owns
the shared resources and workers: see `Runtime` and `manage_resources`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from domains.kit.config import Settings
from domains.kit.graphql.context import RequestContext, build_context
from domains.kit.health import health_routes
from domains.kit.metrics import metrics_route, operation_label, record_request, watch_pool
from domains.kit.resources import Resources, open_resources
from domains.kit.tracing import subgraph_request

logger = logging.getLogger("shopgraph")

BackgroundWorker = Callable[[Resources], Coroutine[Any, Any, None]]


@dataclass
class Runtime:
    """Holds the resources once the owning lifespan has opened them."""

    settings: Settings
    resources: Resources | None = None
    # False when `shopgraph worker` runs this domain's workers elsewhere.
    workers_enabled: bool = True

    def get(self) -> Resources:
        if self.resources is None:
            raise RuntimeError("resources are not open: the app's lifespan has not started")
        return self.resources


@dataclass(frozen=True)
class SubgraphSpec:
    name: str
    schema: strawberry.federation.Schema
    make_loaders: Callable[[Resources], Any]
    routes: Sequence[Callable[[Runtime], BaseRoute]] = ()
    workers: Sequence[BackgroundWorker] = field(default_factory=tuple)


class SubgraphGraphQL(GraphQL[RequestContext[Any], None]):
    def __init__(self, spec: SubgraphSpec, runtime: Runtime) -> None:
        super().__init__(spec.schema, graphql_ide="graphiql")
        self._spec = spec
        self._runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        scope.setdefault("state", {})["started"] = time.perf_counter()
        with subgraph_request(self._spec.name, headers):
            await super().__call__(scope, receive, send)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        try:
            body = await request.json()
            query = str(body.get("query", "")) if isinstance(body, dict) else ""
        except ValueError:
            query = ""
        started = float(request.scope.get("state", {}).get("started", time.perf_counter()))
        record_request(
            self._spec.name,
            operation_label(query),
            ok=not result.errors,
            seconds=time.perf_counter() - started,
        )
        return await super().process_result(request, result)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext[Any]:
        return await build_context(
            request if isinstance(request, Request) else None,
            self._runtime.get(),
            self._spec.make_loaders,
            request.headers.get("authorization"),
        )


class LocalSubgraph:
    """The subgraph executed in-process by the gateway: no HTTP, no JSON in between.

    It satisfies the gateway's LocalSubgraph protocol without the gateway importing it:
    the platform's composition root hands instances over.
    """

    def __init__(self, spec: SubgraphSpec, runtime: Runtime) -> None:
        self.spec = spec
        self._runtime = runtime

    async def execute(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        started = time.perf_counter()
        with subgraph_request(self.spec.name, headers):
            context = await build_context(
                None, self._runtime.get(), self.spec.make_loaders, headers.get("authorization")
            )
            result = await self.spec.schema.execute(
                document, variable_values=dict(variables), context_value=context
            )
        record_request(
            self.spec.name,
            operation_label(document),
            ok=not result.errors,
            seconds=time.perf_counter() - started,
        )
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        return response


# How long shutdown waits for each round of cancellation to take.
WORKER_STOP_ROUND_SECONDS = 2.0
WORKER_STOP_ROUNDS = 5


async def stop_tasks(tasks: Sequence[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Cancel `tasks` and wait for them, re-cancelling any that survive a round.

    A task can absorb one cancellation (on Python 3.11, `asyncio.wait_for` returns its
    result instead of raising when the cancel lands as its inner awaitable finishes), so
    shutdown never trusts a single `cancel()` and never waits without a bound. Returns the
    tasks that still run after every round, for the caller to report.

    Cancelling the caller meanwhile does not cut the stopping short (that would leave
    the tasks running, which is what this is for): the rounds finish, then the caller's
    cancellation is raised.
    """
    stopping = asyncio.ensure_future(_stop_in_rounds(tasks))
    cancelled = False
    while True:
        try:
            survivors = await asyncio.shield(stopping)
            break
        except asyncio.CancelledError:
            cancelled = True  # bounded: the rounds end on their own
    if cancelled:
        raise asyncio.CancelledError
    return survivors


async def _stop_in_rounds(tasks: Sequence[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    pending = [task for task in tasks if not task.done()]
    for _ in range(WORKER_STOP_ROUNDS):
        if not pending:
            break
        for task in pending:
            task.cancel()
        _, still = await asyncio.wait(pending, timeout=WORKER_STOP_ROUND_SECONDS)
        pending = list(still)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            logger.error("background worker %s failed", task.get_name(), exc_info=task.exception())
    return pending


@contextlib.asynccontextmanager
async def run_workers(
    workers: Sequence[BackgroundWorker], resources: Resources
) -> AsyncIterator[None]:
    """Run background workers for the lifetime of the block, and stop them after."""
    tasks = [
        asyncio.create_task(worker(resources), name=getattr(worker, "__name__", repr(worker)))
        for worker in workers
    ]
    if tasks:
        logger.info(
            "process %d runs %d background workers: %s",
            os.getpid(),
            len(tasks),
            ", ".join(task.get_name() for task in tasks),
        )
    try:
        yield
    finally:
        for task in await stop_tasks(tasks):
            logger.error("background worker %s ignored cancellation; leaving it", task.get_name())


def subgraph_routes(spec: SubgraphSpec, runtime: Runtime) -> list[BaseRoute]:
    return [
        Route("/graphql", SubgraphGraphQL(spec, runtime)),
        metrics_route(),
        *health_routes(lambda _request: runtime.get()),
        *(make_route(runtime) for make_route in spec.routes),
    ]


def build_subgraph_app(
    spec: SubgraphSpec, runtime: Runtime, *, manage_resources: bool = True
) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not manage_resources:
            yield
            return
        async with open_resources(runtime.settings) as resources:
            watch_pool(spec.name, resources.engine, runtime.settings.database_pool_max)
            runtime.resources = resources
            async with run_workers(spec.workers if runtime.workers_enabled else (), resources):
                logger.info("subgraph %s ready", spec.name)
                yield
            runtime.resources = None

    return Starlette(routes=subgraph_routes(spec, runtime), lifespan=lifespan)
