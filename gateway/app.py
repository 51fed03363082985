"""The gateway as an ASGI app: `build_gateway_app(config) -> Starlette`.

The gateway knows subgraphs only through configuration: a URL (HTTP transport), or an
object that executes the subgraph in this process (in-process transport) handed over by
whoever assembles the platform. It never imports domain code: its settings arrive as
plain values in `GatewayConfig` (shopgraph/platform.py builds one from the environment).

`/graphql` is gateway/endpoint.py (HTTP) in front of gateway/pipeline.py (the request's
steps, in order). Around it sit the pure ASGI middlewares of gateway/middleware,
outermost first: security headers, the trace, the request metrics, request ids, CORS
from an allowlist, the request body size limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute

from gateway.auth.jwks import KeySet, RemoteKeySet, StaticKeySet
from gateway.auth.tokens import TokenVerifier
from gateway.caching import PublicCache
from gateway.callers import Callers
from gateway.clients import FirstPartyClients
from gateway.endpoint import API_KEY_HEADER, PLAN_HEADER, PREFLIGHT_HEADERS, GraphQLEndpoint
from gateway.federation.supergraph import Supergraph
from gateway.federation.validation import DocumentPolicy
from gateway.graphiql import GraphiQL, load_examples
from gateway.limits import Limits
from gateway.metrics import metrics_routes
from gateway.middleware.body_limit import BodySizeLimit
from gateway.middleware.request_id import RequestId
from gateway.middleware.request_metrics import CountRequests
from gateway.middleware.security_headers import SecurityHeaders
from gateway.middleware.telemetry import TraceRequests
from gateway.partners.service import PartnerKeys
from gateway.persisted.documents import PersistedDocuments
from gateway.persisted.manifests import load_manifests
from gateway.persisted.store import DocumentStore, MemoryDocumentStore, RedisDocumentStore
from gateway.pipeline import Edge, Pipeline
from gateway.ratelimit import RateLimiter, RateLimits
from gateway.subscriptions.graphql_ws import GraphQLWebSocket
from gateway.subscriptions.hub import SubscriptionHub, SubscriptionLimits
from gateway.subscriptions.runner import SubscriptionRunner
from gateway.subscriptions.shutdown import drain_on_sigterm
from gateway.subscriptions.sources import (
    InProcessSubscriptions,
    SubscriptionSource,
    WebSocketSubscriptions,
)
from gateway.transport.http import http_client, http_transport, keepalive_client
from gateway.transport.in_process import InProcessTransport, LocalSubgraph
from gateway.transport.keepalive import KeepAliveClient
from gateway.transport.types import Transport

logger = logging.getLogger("shopgraph.gateway")

__all__ = ["PLAN_HEADER", "GatewayConfig", "build_gateway_app", "check_graphql_path"]


@dataclass(frozen=True)
class EdgeAuth:
    """How the gateway verifies access tokens: a key set given (`jwks`) or fetched."""

    issuer: str
    audience: str
    jwks: Mapping[str, Any] | None = None
    jwks_url: str | None = None


@dataclass
class GatewayConfig:
    supergraph_sdl: str
    # name -> URL (HTTP) or an in-process subgraph.
    subgraphs: Mapping[str, str | LocalSubgraph]
    subgraph_timeout: float = 30.0
    # Per-subgraph limits, overriding subgraph_timeout.
    subgraph_timeouts: Mapping[str, float] = field(default_factory=dict)
    # Where GraphQL is answered. Apollo Router's default is "/"; ours keeps "/graphql".
    graphql_path: str = "/graphql"
    expose_plans: bool = False
    # Sent on every HTTP fetch to a subgraph (the shared token subgraphs require).
    subgraph_headers: Mapping[str, str] = field(default_factory=dict)
    # In production /metrics answers only this bearer token, and is absent without one.
    metrics_token: str | None = None
    extra_routes: list[BaseRoute] = field(default_factory=list)
    # Production masks execution errors (a message and a request id, details in the log).
    production: bool = False
    # Off hides introspection and validation's field suggestions.
    introspection: bool = True
    graphiql: bool = True
    graphiql_examples: Path | None = None
    limits: Limits | None = field(default_factory=Limits)
    # None: tokens are not checked here (subgraphs still verify what they are sent).
    auth: EdgeAuth | None = None
    # Persisted queries live in Redis when it is configured, else in this process.
    redis_url: str | None = None
    # redis_url names any node of a Redis Cluster: redis-py's cluster client is used.
    redis_cluster: bool = False
    redis_key_prefix: str = "sg:"
    persisted_query_ttl_seconds: int = 7 * 24 * 3600
    # Trusted-document manifests (schema/operations/*.json).
    manifests_dir: Path | None = None
    # Run only the manifests' documents: no free-form text, no automatic persisted queries.
    trusted_documents_only: bool = False
    # Partner API keys live in Postgres (the gateway schema); None: keys are refused.
    database_url: str | None = None
    partner_cache_seconds: float = 5.0
    # None: no rate limiting. It needs redis_url.
    rate_limits: RateLimits | None = None
    # name -> key of first-party clients (X-Shopgraph-Client-Key), whose X-Forwarded-For
    # names the shopper; and proxies (addresses or CIDR ranges) whose X-Forwarded-For counts.
    first_party_keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    trusted_proxies: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    public_cache: PublicCache = field(default_factory=PublicCache)
    # Subscriptions over graphql-ws and SSE; None: the gateway serves none.
    subscriptions: SubscriptionLimits | None = field(default_factory=SubscriptionLimits)


def build_transports(
    config: GatewayConfig, client: httpx.AsyncClient, keepalive: KeepAliveClient
) -> dict[str, Transport]:
    transports: dict[str, Transport] = {}
    for name, target in config.subgraphs.items():
        transports[name] = (
            http_transport(target, client, keepalive, config.subgraph_headers)
            if isinstance(target, str)
            else InProcessTransport(target)
        )
    return transports


def build_subscription_sources(config: GatewayConfig) -> dict[str, SubscriptionSource]:
    sources: dict[str, SubscriptionSource] = {}
    for name, target in config.subgraphs.items():
        sources[name] = (
            WebSocketSubscriptions(name, target, config.subgraph_headers)
            if isinstance(target, str)
            else InProcessSubscriptions(name, target)
        )
    return sources


def _redis_client(config: GatewayConfig) -> Redis | None:
    if not config.redis_url:
        return None
    if config.redis_cluster:
        # Same commands, routed by slot; typed as Redis so the stores need not care.
        # The rate limiter's keys share one hash tag for its multi-key script.
        cluster = RedisCluster.from_url(
            config.redis_url, socket_timeout=1, socket_connect_timeout=1
        )
        return cast(Redis, cluster)
    return Redis.from_url(config.redis_url, socket_timeout=1, socket_connect_timeout=1)


def check_graphql_path(path: str) -> str:
    """The path as given, or ValueError naming what is wrong with it."""
    if not path.startswith("/"):
        raise ValueError(f"the GraphQL path must start with '/' (got {path!r})")
    if any(char in path for char in "?#{} ") or "//" in path:
        raise ValueError(f"the GraphQL path must be a plain URL path (got {path!r})")
    if path != "/" and path.endswith("/"):
        raise ValueError(f"the GraphQL path must not end with '/' (got {path!r})")
    return path


def build_gateway_app(config: GatewayConfig) -> Starlette:
    check_graphql_path(config.graphql_path)
    supergraph = Supergraph(config.supergraph_sdl)
    client = http_client(timeout=config.subgraph_timeout)
    keepalive = keepalive_client(timeout=config.subgraph_timeout)
    redis = _redis_client(config)
    store: DocumentStore = (
        RedisDocumentStore(redis, config.redis_key_prefix, config.persisted_query_ttl_seconds)
        if redis is not None
        else MemoryDocumentStore()
    )
    engine: AsyncEngine | None = (
        create_async_engine(config.database_url, pool_size=2, max_overflow=8, pool_pre_ping=True)
        if config.database_url
        else None
    )
    if config.rate_limits is not None and redis is None:
        raise ValueError("rate limiting needs Redis: set redis_url")
    pipeline = Pipeline(
        supergraph,
        build_transports(config, client, keepalive),
        timeout=config.subgraph_timeout,
        timeouts=config.subgraph_timeouts,
        policy=DocumentPolicy(
            limits=config.limits,
            introspection=config.introspection,
            hide_suggestions=not config.introspection,
        ),
        edge=Edge(
            documents=PersistedDocuments(
                load_manifests(config.manifests_dir),
                store,
                trusted_only=config.trusted_documents_only,
            ),
            callers=Callers(
                verifier=_verifier(config.auth, client),
                partners=(
                    PartnerKeys(
                        async_sessionmaker(engine), ttl_seconds=config.partner_cache_seconds
                    )
                    if engine is not None
                    else None
                ),
                clients=FirstPartyClients(config.first_party_keys, config.trusted_proxies),
            ),
            limiter=(
                RateLimiter(redis, config.redis_key_prefix, config.rate_limits)
                if config.rate_limits is not None and redis is not None
                else None
            ),
            public_cache=config.public_cache,
            production=config.production,
            expose_plans=config.expose_plans,
        ),
    )
    hub = (
        SubscriptionHub(
            pipeline,
            SubscriptionRunner(
                pipeline.planner, pipeline.executor, build_subscription_sources(config)
            ),
            config.subscriptions,
        )
        if config.subscriptions is not None
        else None
    )
    endpoint = GraphQLEndpoint(
        pipeline=pipeline,
        graphiql=(
            GraphiQL(load_examples(config.graphiql_examples, pipeline.schema))
            if config.graphiql
            else None
        ),
        subscriptions=hub,
    )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> JSONResponse:
        async def probe(name: str) -> str | None:
            try:
                async with asyncio.timeout(2.0):
                    transport = pipeline.executor.transports[name]
                    result = await transport.fetch("{ __typename }", {}, {})
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
            if hub is None:
                yield
            else:
                with drain_on_sigterm(hub):
                    try:
                        yield
                    finally:
                        await hub.drain()
        finally:
            await keepalive.aclose()
            await client.aclose()
            if redis is not None:
                await redis.aclose()
            if engine is not None:
                await engine.dispose()

    routes: list[BaseRoute] = [
        Route(config.graphql_path, endpoint.handle, methods=["GET", "POST"]),
        *(
            [WebSocketRoute(config.graphql_path, GraphQLWebSocket(hub).handle)]
            if hub is not None
            else []
        ),
        Route("/health", health, methods=["GET"]),
        *metrics_routes(production=config.production, token=config.metrics_token),
        Route("/ready", ready, methods=["GET"]),
        *(endpoint.graphiql.routes() if endpoint.graphiql else ()),
        *config.extra_routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=_middleware(config))
    app.state.gateway = pipeline
    app.state.endpoint = endpoint
    app.state.subscriptions = hub
    return app


def _middleware(config: GatewayConfig) -> list[Middleware]:
    # Outermost first: the trace spans everything, the metrics time everything inside.
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(TraceRequests),
        Middleware(CountRequests, path=config.graphql_path),
        Middleware(RequestId),
    ]
    if config.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=[
                    "authorization",
                    "content-type",
                    API_KEY_HEADER,
                    *PREFLIGHT_HEADERS,
                    "traceparent",
                    "tracestate",
                ],
                expose_headers=["retry-after", "x-request-id"],
                max_age=600,
            )
        )
    if config.limits is not None:
        middleware.append(Middleware(BodySizeLimit, max_bytes=config.limits.max_body_bytes))
    return middleware


def _verifier(auth: EdgeAuth | None, client: httpx.AsyncClient) -> TokenVerifier | None:
    if auth is None:
        return None
    keys: KeySet
    if auth.jwks is not None:
        keys = StaticKeySet(auth.jwks)
    elif auth.jwks_url is not None:
        keys = RemoteKeySet(auth.jwks_url, client)
    else:
        raise ValueError("EdgeAuth needs jwks or jwks_url")
    return TokenVerifier(keys, issuer=auth.issuer, audience=auth.audience)


GatewayAppFactory = Callable[[GatewayConfig], Starlette]
