"""The users subgraph as a standalone ASGI app.

`shopgraph subgraph users` serves it; with DATABASE_URL, REDIS_URL and the JWT keys in
the environment it also runs under any ASGI server:
`uvicorn --factory domains.users.app:create_app_from_env`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from domains.kit.aio import raise_if_stopping
from domains.kit.app import Runtime, SubgraphSpec, app_factories
from domains.kit.db import read_session
from domains.kit.events.workers import consumer_worker
from domains.kit.metrics import ACTIVE_USERS
from domains.kit.resources import Resources
from domains.users.consumers import subscriptions
from domains.users.graphql.loaders import make_loaders
from domains.users.graphql.schema import schema
from domains.users.mail import run_mail_worker
from domains.users.models import EVENT_TABLES
from domains.users.revocations import revocation_cache_worker
from domains.users.services.tokens import tokens

logger = logging.getLogger("shopgraph.users")


def jwks_route(runtime: Runtime) -> BaseRoute:
    """The public key, for the gateway and partners to verify access tokens."""

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(
            runtime.get().jwt_keys.jwks(), headers={"Cache-Control": "public, max-age=300"}
        )

    return Route("/.well-known/jwks.json", jwks, methods=["GET"])


async def mail_worker(resources: Resources) -> None:
    await run_mail_worker(resources.session_factory, resources.settings)


ACTIVE_WINDOW = timedelta(minutes=15)
ACTIVE_USERS_INTERVAL_SECONDS = 30.0


async def refresh_active_users(resources: Resources) -> int:
    """Set the active-users gauge from the database; return the count."""
    async with read_session(resources.session_factory) as session:
        count = await tokens.count_users_signed_in_since(session, datetime.now(UTC) - ACTIVE_WINDOW)
    ACTIVE_USERS.labels(service="users").set(count)
    return count


async def active_users_worker(resources: Resources) -> None:
    while True:
        try:
            await refresh_active_users(resources)
        except Exception as error:  # a database hiccup must not end the worker
            raise_if_stopping(error)
            logger.exception("active users count failed")
        await asyncio.sleep(ACTIVE_USERS_INTERVAL_SECONDS)


SPEC = SubgraphSpec(
    name="users",
    schema=schema,
    make_loaders=make_loaders,
    routes=(jwks_route,),
    workers=(
        mail_worker,
        active_users_worker,
        revocation_cache_worker,
        consumer_worker(EVENT_TABLES, group="users", subscriptions=subscriptions),
    ),
)


create_app, create_app_from_env = app_factories(SPEC)
