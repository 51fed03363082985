"""The whole platform in one process: the gateway with every subgraph in-process.

This is what `shopgraph serve` runs. The gateway answers at `/graphql` and executes
each subgraph's schema directly (no HTTP between them). It is the one public edge: no
subgraph endpoint is served beside it, since one would answer without the gateway's
limits, rate limits and checks. A gateway elsewhere (or Apollo's) calls subgraphs served
on their own (`shopgraph subgraph NAME`), which answer only the gateway's token.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from urllib.parse import urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount

from domains.kit.app import LocalSubgraph, Runtime, SubgraphSpec, run_workers
from domains.kit.auth import AUDIENCE, JwtKeys
from domains.kit.config import Settings
from domains.kit.db import sqlalchemy_url
from domains.kit.edge import GATEWAY_TOKEN_HEADER
from domains.kit.health import health_routes
from domains.kit.resources import open_resources
from gateway.app import EdgeAuth, GatewayConfig, build_gateway_app
from gateway.caching import PublicCache
from gateway.federation.composition import compose
from gateway.limits import Limits
from gateway.middleware.security_headers import SecurityHeaders
from gateway.ratelimit import RateLimits
from gateway.transport.in_process import LocalSubgraph as GatewayLocalSubgraph
from shopgraph.media import media_routes
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


def subgraph_headers(settings: Settings) -> dict[str, str]:
    """What the gateway sends with every request to a subgraph served on its own."""
    if settings.subgraph_token is None:
        return {}
    return {GATEWAY_TOKEN_HEADER: settings.subgraph_token}


def gateway_config(
    settings: Settings,
    *,
    supergraph_sdl: str,
    subgraphs: Mapping[str, str | GatewayLocalSubgraph],
    auth: EdgeAuth | None,
    subgraph_timeout: float = 30.0,
    graphql_path: str = "/graphql",
) -> GatewayConfig:
    """The gateway's configuration from the settings: plain values, no domain code."""
    if settings.rate_limit_enabled and settings.redis_url is None:
        logger.warning("RATE_LIMIT_ENABLED is on but there is no REDIS_URL: no rate limiting")
    if auth is None:
        logger.warning(
            "access tokens are not verified at the gateway (set GATEWAY_JWKS_URL or "
            "JWT_PUBLIC_KEY); subgraphs still verify them"
        )
    return GatewayConfig(
        supergraph_sdl=supergraph_sdl,
        subgraphs=subgraphs,
        subgraph_timeout=subgraph_timeout,
        graphql_path=graphql_path,
        subgraph_headers=subgraph_headers(settings),
        metrics_token=settings.metrics_token,
        expose_plans=not settings.is_production,
        production=settings.is_production,
        introspection=settings.introspection_enabled,
        graphiql=settings.graphiql_enabled,
        graphiql_examples=settings.gateway_operations_dir / "examples",
        limits=Limits(
            max_depth=settings.gateway_max_depth,
            max_aliases=settings.gateway_max_aliases,
            max_field_repeats=settings.gateway_max_field_repeats,
            max_directives=settings.gateway_max_directives,
            max_tokens=settings.gateway_max_tokens,
            max_list_size=settings.gateway_max_list_size,
            max_cost=settings.gateway_max_cost,
            max_body_bytes=settings.gateway_max_body_size,
        ),
        auth=auth,
        redis_url=settings.redis_url,
        redis_cluster=settings.redis_cluster,
        redis_key_prefix=settings.redis_key_prefix,
        persisted_query_ttl_seconds=int(settings.gateway_persisted_query_ttl.total_seconds()),
        manifests_dir=settings.gateway_operations_dir,
        trusted_documents_only=settings.gateway_trusted_documents_only,
        first_party_keys=dict(settings.gateway_first_party_keys),
        trusted_proxies=settings.gateway_trusted_proxies,
        database_url=sqlalchemy_url(settings.database_url) if settings.database_url else None,
        rate_limits=(
            RateLimits(
                window_seconds=settings.rate_limit_window.total_seconds(),
                per_ip=settings.rate_limit_per_ip,
                per_user=settings.rate_limit_per_user,
                per_api_key=settings.rate_limit_per_api_key,
                per_client=settings.rate_limit_per_client,
            )
            if settings.rate_limit_enabled and settings.redis_url is not None
            else None
        ),
        cors_origins=settings.gateway_cors_origins,
        public_cache=PublicCache(
            fields=frozenset(settings.gateway_public_fields),
            max_age=settings.gateway_public_max_age,
        ),
    )


def local_auth(settings: Settings) -> EdgeAuth:
    """In one process the gateway is handed the users subgraph's key set directly."""
    return EdgeAuth(
        issuer=settings.jwt_issuer, audience=AUDIENCE, jwks=JwtKeys.from_settings(settings).jwks()
    )


def remote_auth(settings: Settings, users_url: str | None) -> EdgeAuth | None:
    """Before remote subgraphs: GATEWAY_JWKS_URL, else the users subgraph's own JWKS
    (next to its /graphql), else a configured public key; None when there is none."""
    jwks_url = settings.gateway_jwks_url
    if jwks_url is None and users_url is not None:
        parts = urlsplit(users_url)
        jwks_url = urlunsplit((parts.scheme, parts.netloc, "/.well-known/jwks.json", "", ""))
    if jwks_url is not None:
        return EdgeAuth(issuer=settings.jwt_issuer, audience=AUDIENCE, jwks_url=jwks_url)
    if settings.jwt_public_key is not None:
        return local_auth(settings)
    return None


def build_platform_app(
    settings: Settings, runtime: Runtime | None = None, *, graphql_path: str = "/graphql"
) -> Starlette:
    """Every subgraph in this process behind the gateway. The background workers run in
    the lifespan unless `runtime.workers_enabled` is False by then (with several serving
    processes only one runs them; see shopgraph.serving)."""
    runtime = runtime or Runtime(settings)
    specs = domain_specs()
    for spec in specs.values():
        if spec.configure is not None:
            spec.configure(settings)
    gateway_app = build_gateway_app(
        gateway_config(
            settings,
            supergraph_sdl=compose_platform(specs),
            subgraphs={name: LocalSubgraph(spec, runtime) for name, spec in specs.items()},
            auth=local_auth(settings),
            graphql_path=graphql_path,
        )
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            runtime.resources = resources
            workers = (
                [worker for spec in specs.values() for worker in spec.workers]
                if runtime.workers_enabled
                else []
            )
            async with (
                run_workers(workers, resources),
                gateway_app.router.lifespan_context(gateway_app),
            ):
                yield
            runtime.resources = None

    routes: list[BaseRoute] = [
        *health_routes(lambda _request: runtime.get()),
        *(make_route(runtime) for spec in specs.values() for make_route in spec.routes),
        *media_routes(settings),
        Mount("/", app=gateway_app),
    ]
    # The gateway's own answers carry the headers already; these are for the routes
    # beside it (health, webhooks, the users key set, media).
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)])


def spec_package(name: str) -> str:
    return next(entry.package for entry in DOMAINS if entry.name == name)


def build_remote_gateway_app(
    settings: Settings, urls: Mapping[str, str], *, graphql_path: str = "/graphql"
) -> Starlette:
    """Only the gateway, in front of subgraphs served elsewhere (`shopgraph subgraph NAME`).

    The supergraph is composed at start-up from what each subgraph reports about itself
    (`_service { sdl }`), so it always matches the running services.
    """
    import httpx

    sdls = {}
    with httpx.Client(timeout=10, headers=subgraph_headers(settings)) as client:
        for name, url in urls.items():
            response = client.post(url, json={"query": "{ _service { sdl } }"})
            response.raise_for_status()
            sdls[name] = (url, str(response.json()["data"]["_service"]["sdl"]))
    return build_gateway_app(
        gateway_config(
            settings,
            supergraph_sdl=compose(sdls),
            subgraphs=dict(urls),
            auth=remote_auth(settings, urls.get("users")),
            graphql_path=graphql_path,
        )
    )
