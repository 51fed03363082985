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
from typing import Any, Protocol, cast

import orjson
import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from domains.kit.config import ConfigError, Settings
from domains.kit.edge import GatewayOnly, SecurityHeaders
from domains.kit.graphql.compiled import compiled_execution
from domains.kit.graphql.context import RequestContext, build_context
from domains.kit.graphql.document_guard import DocumentGuard, DocumentLimits
from domains.kit.health import health_routes
from domains.kit.metrics import metrics_routes, operation_label, record_request, watch_pool
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
    # Applies settings the domain reads outside a request (e.g. where media is served
    # from); called once by whoever serves the schema, alone or mounted in the platform.
    configure: Callable[[Settings], None] | None = None


class AppFactory(Protocol):
    def __call__(self, runtime: Runtime, *, manage_resources: bool = True) -> Starlette: ...


def app_factories(spec: SubgraphSpec) -> tuple[AppFactory, Callable[[], Starlette]]:
    """A domain's `create_app(runtime, manage_resources=...)`, which the platform mounts,
    and `create_app_from_env()`, for `uvicorn --factory domains.<name>.app:...`."""

    def create_app(runtime: Runtime, *, manage_resources: bool = True) -> Starlette:
        return build_subgraph_app(spec, runtime, manage_resources=manage_resources)

    def create_app_from_env() -> Starlette:
        return create_app(Runtime(Settings.from_env()))

    return create_app, create_app_from_env


class SubgraphGraphQL(GraphQL[RequestContext[Any], None]):
    """A subgraph's `/graphql` over HTTP, and its subscriptions over WebSocket
    (graphql-transport-ws; the viewer from the handshake's Authorization header): its own
    document ceilings (document_guard.py), and in production the gateway's defaults: no
    IDE, no introspection, no suggestions, failures masked with the request id. Every
    answer, refusals included, is GraphQL."""

    def __init__(self, spec: SubgraphSpec, runtime: Runtime) -> None:
        settings = runtime.settings
        super().__init__(
            spec.schema,
            graphql_ide=None if settings.is_production else "graphiql",
            # Subscriptions for the gateway, over its one protocol; the legacy
            # `graphql-ws` protocol is not offered.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self._spec = spec
        self._runtime = runtime
        self._guard = DocumentGuard(
            spec.schema._schema,
            DocumentLimits(
                max_depth=settings.subgraph_max_depth,
                max_aliases=settings.subgraph_max_aliases,
                max_cost=settings.subgraph_max_cost,
            ),
            production=settings.is_production,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        scope.setdefault("state", {})["started"] = time.perf_counter()
        with subgraph_request(self._spec.name, headers):
            if scope["type"] != "http":
                await super().__call__(scope, receive, send)
                return
            try:
                response = await self.run(Request(scope, receive))
            except HTTPException as error:
                response = _graphql_error_response(error.status_code, error.reason)
            await response(scope, receive, send)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext[Any],
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        variables = request_data.variables if isinstance(request_data.variables, dict) else {}
        # For process_result's metrics label, which would otherwise parse the body again.
        request.scope.setdefault("state", {})["query"] = request_data.query or ""
        refused = self._guard.check(request_data.query or "", variables)
        if refused:
            return ExecutionResult(data=None, errors=refused)
        with compiled_execution(self._runtime.settings.graphql_compiled):
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        state = request.scope.get("state", {})
        query = str(state.get("query", ""))
        started = float(state.get("started", time.perf_counter()))
        record_request(
            self._spec.name,
            operation_label(query),
            ok=not result.errors,
            seconds=time.perf_counter() - started,
        )
        response = await super().process_result(request, result)
        request_id = state.get("request_id")
        if request_id:
            # A masked failure names the request, so its log lines can be found.
            for error in cast(list[dict[str, Any]], response.get("errors") or []):
                extensions = error.get("extensions") or {}
                if extensions.get("code") == "INTERNAL_SERVER_ERROR":
                    error["extensions"] = {**extensions, "requestId": request_id}
        return response

    def encode_json(self, data: object) -> bytes:
        """The answer as bytes, by orjson: the same JSON as json.dumps's compact form
        (key order kept, UTF-8 rather than escapes), several times faster on a page of
        products, and never the NaN json.dumps would write."""
        return orjson.dumps(data)

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
            with compiled_execution(self._runtime.settings.graphql_compiled):
                result = await self.spec.schema.execute(
                    document, variable_values=dict(variables), context_value=context
                )
        record_request(
            self.spec.name,
            operation_label(document),
            ok=not result.errors,
            seconds=time.perf_counter() - started,
        )
        return _as_response(result)

    async def subscribe(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> AsyncIterator[dict[str, Any]]:
        """A subscription executed in-process: one answer per event, shaped as `execute`'s,
        until the caller closes the iterator (which releases the subscription at once)."""
        with subgraph_request(self.spec.name, headers):
            context = await build_context(
                None, self._runtime.get(), self.spec.make_loaders, headers.get("authorization")
            )
        stream = await self.spec.schema.subscribe(
            document, variable_values=dict(variables), context_value=context
        )
        if isinstance(stream, ExecutionResult):  # refused before it started
            yield _as_response(stream)
            return
        try:
            async for result in stream:
                yield _as_response(result)
        finally:
            await stream.aclose()


def _as_response(result: ExecutionResult) -> dict[str, Any]:
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


def _graphql_error_response(status: int, message: str) -> Response:
    code = "BAD_REQUEST" if status < 500 else "INTERNAL_SERVER_ERROR"
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status)


def subgraph_routes(spec: SubgraphSpec, runtime: Runtime) -> list[BaseRoute]:
    settings = runtime.settings
    graphql = SubgraphGraphQL(spec, runtime)
    return [
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),
        *metrics_routes(production=settings.is_production, token=settings.metrics_token),
        *health_routes(lambda _request: runtime.get()),
        *(make_route(runtime) for make_route in spec.routes),
    ]


def build_subgraph_app(
    spec: SubgraphSpec, runtime: Runtime, *, manage_resources: bool = True
) -> Starlette:
    """The subgraph as its own service. Its `/graphql` answers only the gateway when
    SUBGRAPH_TOKEN is set, which production requires (domains/kit/edge.py)."""
    settings = runtime.settings
    if settings.is_production and settings.subgraph_token is None:
        raise ConfigError(
            "APP_ENV=production requires SUBGRAPH_TOKEN: a subgraph served on its own "
            "answers only the gateway, which sends the same token"
        )
    if spec.configure is not None:
        spec.configure(settings)

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

    return Starlette(
        routes=subgraph_routes(spec, runtime),
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                GatewayOnly,
                token=settings.subgraph_token,
                max_body_bytes=settings.subgraph_max_body_size,
            ),
        ],
    )
