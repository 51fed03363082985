"""The users subgraph as a standalone ASGI app.

`shopgraph subgraph users` serves it; with DATABASE_URL, REDIS_URL and the JWT keys in
the environment it also runs under any ASGI server:
`uvicorn --factory domains.users.app:create_app_from_env`.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from domains.kit.app import Runtime, SubgraphSpec, build_subgraph_app
from domains.kit.config import Settings
from domains.kit.resources import Resources
from domains.users.graphql.loaders import make_loaders
from domains.users.graphql.schema import schema
from domains.users.mail import run_mail_worker


def jwks_route(runtime: Runtime) -> BaseRoute:
    """The public key, for the gateway and partners to verify access tokens."""

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(
            runtime.get().jwt_keys.jwks(), headers={"Cache-Control": "public, max-age=300"}
        )

    return Route("/.well-known/jwks.json", jwks, methods=["GET"])


async def mail_worker(resources: Resources) -> None:
    await run_mail_worker(resources.session_factory, resources.settings)


SPEC = SubgraphSpec(
    name="users",
    schema=schema,
    make_loaders=make_loaders,
    routes=(jwks_route,),
    workers=(mail_worker,),
)


def create_app(runtime: Runtime, *, manage_resources: bool = True) -> Starlette:
    return build_subgraph_app(SPEC, runtime, manage_resources=manage_resources)


def create_app_from_env() -> Starlette:
    return create_app(Runtime(Settings.from_env()))
